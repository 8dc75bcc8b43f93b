"""Member settings: custom fields, profile record types, tag groups and tags."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mendian.core.errors import DomainError
from mendian.tenancy.views.decorators import staff_page

from . import services
from .forms import CustomFieldForm, RecordTypeForm, TagForm
from .models import CustomField, RecordType, Tag, TagGroup


@staff_page("members.settings")
@require_http_methods(["GET", "POST"])
def member_settings(request: HttpRequest) -> HttpResponse:
    access = request.access
    groups = list(TagGroup.objects.filter(merchant=access.merchant).order_by("sort_order", "name"))
    action = request.POST.get("action")
    field_form = CustomFieldForm(request.POST if action == "field" else None)
    record_form = RecordTypeForm(request.POST if action == "record_type" else None)
    tag_form = TagForm(request.POST if action == "tag" else None, groups=groups)
    if request.method == "POST":
        try:
            if action == "field" and field_form.is_valid():
                data = field_form.cleaned_data
                services.custom_field_save(access=access, key=data["key"], label=data["label"], kind=data["kind"],
                                           choices=field_form.choice_list(), required=data["required"])
            elif action == "record_type" and record_form.is_valid():
                services.record_type_save(access=access, name=record_form.cleaned_data["name"],
                                          fields=record_form.field_definitions())
            elif action == "tag" and tag_form.is_valid():
                group = next((g for g in groups if g.pk == tag_form.cleaned_data["group"]), None)
                services.tag_create(access=access, name=tag_form.cleaned_data["name"], group=group)
            elif action == "group":
                services.tag_group_create(access=access, name=request.POST.get("name", ""))
            elif action == "toggle_field":
                field = CustomField.objects.get(merchant=access.merchant, pk=int(request.POST.get("id", "0")))
                services.custom_field_save(access=access, field=field, key=field.key, label=field.label,
                                           kind=field.kind, choices=field.choices, required=field.required,
                                           sort_order=field.sort_order, is_active=not field.is_active)
            else:
                raise _Invalid
        except DomainError as error:
            messages.error(request, str(error.message))
        except (_Invalid, CustomField.DoesNotExist, ValueError):
            messages.error(request, _("Please correct the form."))
        else:
            messages.success(request, _("Saved."))
            return redirect("members:settings")
    context = {
        "fields": CustomField.objects.filter(merchant=access.merchant).order_by("sort_order", "id"),
        "record_types": RecordType.objects.filter(merchant=access.merchant).order_by("name"),
        "groups": groups,
        "tags": Tag.objects.filter(merchant=access.merchant).select_related("group").order_by("group__name", "name"),
        "field_form": field_form, "record_form": record_form, "tag_form": tag_form,
    }
    return render(request, "members/settings.html", context)


class _Invalid(Exception):
    pass
