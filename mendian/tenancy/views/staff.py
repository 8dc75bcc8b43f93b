"""Staff pages: list, add, edit, reset password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mendian.core.errors import DomainError
from mendian.core.phones import mask_phone

from .. import selectors
from ..forms import SetPasswordForm, StaffForm
from ..services.staff import check_manageable, staff_create, staff_set_password, staff_update
from .decorators import staff_page


def _can_manage(request: HttpRequest, staff: object) -> bool:
    try:
        check_manageable(request.access, staff)
    except DomainError:
        return False
    return True


@staff_page("staff.view")
def staff_list(request: HttpRequest) -> HttpResponse:
    access = request.access
    q = (request.GET.get("q") or "").strip()[:60]
    store_id = request.GET.get("store")
    store_id = int(store_id) if store_id and store_id.isdigit() else None
    active = {"1": True, "0": False}.get(request.GET.get("active", "1"))
    people = list(selectors.staff_list(access=access, q=q or None, store_id=store_id, active=active)
                  .order_by("username")[:500])
    show_phone = access.can("staff.manage")
    rows = [{"staff": s, "phone": s.phone if show_phone else mask_phone(s.phone)} for s in people]
    context = {
        "rows": rows, "q": q, "store_id": store_id, "active": request.GET.get("active", "1"),
        "stores": selectors.store_choices(access=access),
    }
    template = "tenancy/staff_list.html#staff-table" if request.htmx else "tenancy/staff_list.html"
    return render(request, template, context)


@staff_page("staff.manage")
@require_http_methods(["GET", "POST"])
def staff_create_view(request: HttpRequest) -> HttpResponse:
    access = request.access
    roles = selectors.assignable_roles(access=access)
    stores = list(selectors.store_choices(access=access))
    form = StaffForm(request.POST or None, roles=roles, stores=stores)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff = staff_create(access=access, username=data["username"], password=data["password"],
                                 role_id=data["role"], name=data["name"], phone=data["phone"],
                                 store_ids=data["stores"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("%(name)s can now log in.") % {"name": staff.name or staff.username})
            return redirect("staff:list")
    return render(request, "tenancy/staff_form.html", {"form": form, "person": None})


@staff_page("staff.view")
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, staff_id: int) -> HttpResponse:
    access = request.access
    person = selectors.staff_get(access=access, staff_id=staff_id)
    can_manage = _can_manage(request, person)
    roles = selectors.assignable_roles(access=access)
    if person.role and person.role not in roles:
        roles = [person.role, *roles]
    stores = list(selectors.store_choices(access=access))
    initial = {"name": person.name, "phone": person.phone or "", "role": person.role_id,
               "stores": [s.pk for s in person.stores.all()], "is_active": person.is_active}
    form = StaffForm(request.POST or None, initial=initial, roles=roles, stores=stores, editing=True)
    if request.method == "POST":
        check_manageable(access, person)
        if form.is_valid():
            data = form.cleaned_data
            try:
                staff_update(access=access, staff=person, name=data["name"], phone=data["phone"] or "",
                             role_id=data["role"], store_ids=data["stores"], is_active=data["is_active"])
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("Saved."))
                return redirect("staff:list")
    password_form = SetPasswordForm()
    return render(request, "tenancy/staff_form.html",
                  {"form": form, "person": person, "can_manage": can_manage, "password_form": password_form})


@staff_page("staff.manage")
@require_http_methods(["POST"])
def staff_password(request: HttpRequest, staff_id: int) -> HttpResponse:
    access = request.access
    person = selectors.staff_get(access=access, staff_id=staff_id)
    form = SetPasswordForm(request.POST)
    if form.is_valid():
        try:
            staff_set_password(access=access, staff=person, password=form.cleaned_data["password"])
        except DomainError as error:
            if error.status == 403:
                raise
            form.add_domain_error(error)
        else:
            messages.success(request, _("Password reset. Their API tokens were revoked."))
            return redirect("staff:edit", staff_id=person.pk)
    roles = selectors.assignable_roles(access=access)
    stores = list(selectors.store_choices(access=access))
    initial = {"name": person.name, "phone": person.phone or "", "role": person.role_id,
               "stores": [s.pk for s in person.stores.all()], "is_active": person.is_active}
    staff_form = StaffForm(initial=initial, roles=roles, stores=stores, editing=True)
    return render(request, "tenancy/staff_form.html",
                  {"form": staff_form, "person": person, "can_manage": True, "password_form": form}, status=422)
