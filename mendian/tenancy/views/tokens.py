"""Integration API tokens (owner): create (shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError

from .. import selectors
from ..forms import TokenForm
from ..models import Staff
from ..services.tokens import token_create_integration, token_revoke
from .decorators import staff_page


@staff_page("tokens.manage")
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    access = request.access
    people = list(Staff.objects.filter(merchant=access.merchant, is_active=True).order_by("username"))
    form = TokenForm(request.POST or None, staff_choices=people, initial={"staff": access.staff.pk})
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        staff = selectors.staff_get(access=access, staff_id=data["staff"])
        expires_at = data.get("expires_at")
        if expires_at is not None and timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at)
        try:
            raw, token = token_create_integration(access=access, name=data["name"], staff=staff,
                                                  expires_at=expires_at)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            created = {"raw": raw, "token": token}
            form = TokenForm(staff_choices=people, initial={"staff": access.staff.pk})
    tokens = selectors.token_list(access=access).order_by("-created_at")
    return render(request, "tenancy/tokens.html", {"form": form, "tokens": tokens, "created": created})


@staff_page("tokens.manage")
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.token_get(access=request.access, token_id=token_id)
    token_revoke(access=request.access, token=token)
    messages.success(request, _("Token revoked; it stops working now."))
    return redirect("tokens:list")
