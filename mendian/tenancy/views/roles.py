"""Role pages: built-in roles to read, custom roles to make, edit and delete (owner)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError

from .. import selectors
from ..forms import RoleForm
from ..models import Staff
from ..permissions import permission_groups
from ..services.roles import role_create, role_delete, role_update
from .decorators import staff_page


@staff_page("roles.manage")
def role_list(request: HttpRequest) -> HttpResponse:
    roles = selectors.role_list(access=request.access)
    counts = dict(
        Staff.objects.filter(merchant=request.access.merchant, is_active=True)
        .values_list("role").annotate(n=Count("id")).values_list("role", "n")
    )
    groups = permission_groups()
    rows = [{"role": r, "staff_count": counts.get(r.pk, 0), "permissions": r.permissions} for r in roles]
    return render(request, "tenancy/roles.html", {"rows": rows, "groups": groups})


@staff_page("roles.manage")
@require_http_methods(["GET", "POST"])
def role_create_view(request: HttpRequest) -> HttpResponse:
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role_create(access=request.access, name=data["name"], permissions=data["permissions"],
                        store_bound=data["store_bound"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Role created."))
            return redirect("roles:list")
    return render(request, "tenancy/role_form.html", {"form": form, "role": None})


@staff_page("roles.manage")
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, role_id: int) -> HttpResponse:
    role = selectors.role_get(access=request.access, role_id=role_id)
    if role.is_builtin:
        messages.info(request, _("Built-in roles cannot be changed; make a custom role instead."))
        return redirect("roles:list")
    initial = {"name": role.name, "store_bound": role.store_bound, "permissions": role.custom_permissions}
    form = RoleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role_update(access=request.access, role=role, name=data["name"], permissions=data["permissions"],
                        store_bound=data["store_bound"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Role saved."))
            return redirect("roles:list")
    return render(request, "tenancy/role_form.html", {"form": form, "role": role})


@staff_page("roles.manage")
@require_POST
def role_delete_view(request: HttpRequest, role_id: int) -> HttpResponse:
    role = selectors.role_get(access=request.access, role_id=role_id)
    try:
        role_delete(access=request.access, role=role)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Role deleted."))
    return redirect("roles:list")
