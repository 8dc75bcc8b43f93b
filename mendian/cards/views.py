"""Card pages: the templates (list, create, edit, status)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.tenancy.views.decorators import staff_page

from . import selectors, services
from .forms import TemplateForm
from .models import CardTemplate, MemberCard


@staff_page("cards.view")
def template_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *CardTemplate.Status.values):
        status = None
    templates = selectors.template_list(access=request.access, status=status).annotate(
        sold=Count("cards"), active=Count("cards", filter=Q(cards__status=MemberCard.Status.ACTIVE)),
    ).order_by("-id")[:200]
    return render(request, "cards/templates.html", {"templates": templates, "status": status,
                                                    "statuses": CardTemplate.Status.choices,
                                                    "can_manage": request.access.can("cards.manage")})


def _form_page(request: HttpRequest, template: CardTemplate | None) -> HttpResponse:
    initial = TemplateForm.initial_of(template) if template is not None else None
    form = TemplateForm(request.POST or None, access=request.access, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            if template is None:
                services.template_create(access=request.access, **fields)
                messages.success(request, _("Card created. It is on sale at the counter now."))
            else:
                fields.pop("kind")
                services.template_update(access=request.access, template=template, **fields)
                messages.success(request, _("Card saved. Cards already sold keep what they were sold with."))
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return redirect("cards:templates")
    return render(request, "cards/template_form.html", {"form": form, "template": template},
                  status=422 if request.method == "POST" else 200)


@staff_page("cards.manage")
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@staff_page("cards.manage")
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, card_template_id: int) -> HttpResponse:
    return _form_page(request, selectors.template_get(access=request.access, template_id=card_template_id))


@staff_page("cards.manage")
@require_POST
def template_status(request: HttpRequest, card_template_id: int) -> HttpResponse:
    template = selectors.template_get(access=request.access, template_id=card_template_id)
    try:
        services.template_set_status(access=request.access, template=template, status=request.POST.get("status", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(name)s: %(status)s.") % {"name": template.name,
                                                                "status": CardTemplate.Status(
                                                                    request.POST["status"]).label})
    return redirect("cards:templates")
