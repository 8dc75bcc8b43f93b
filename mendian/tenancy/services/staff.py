from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mendian.core.phones import mask_phone, normalize_phone

from ..access import Access
from ..models import Role, Staff, Store
from ..permissions import OWNER
from .audit import audit_record
from .tokens import token_revoke_all

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,60}$")


def clean_username(username: str) -> str:
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise InvalidInput(
            "invalid_username",
            _("Usernames have 3 to 60 letters, digits or the signs _ . @ -."),
            field="username",
        )
    if username.isdigit():
        raise InvalidInput(
            "invalid_username", _("A username cannot be only digits (that is a phone)."), field="username"
        )
    return username


def validate_password(password: str, staff: Staff | None = None) -> None:
    try:
        password_validation.validate_password(password, staff)
    except ValidationError as exc:
        raise InvalidInput(
            "weak_password", " ".join(str(message) for message in exc.messages), field="password"
        ) from exc


def _clean_phone(phone: str | None) -> str | None:
    if phone is None or not str(phone).strip():
        return None
    return normalize_phone(phone)


def _role_for(access: Access, role_id: int) -> Role:
    role = Role.objects.filter(merchant=access.merchant, pk=role_id).first()
    if role is None:
        raise NotFound("role_not_found", _("Role not found."), field="role")
    return role


def _stores_for(access: Access, store_ids: Iterable[int]) -> list[Store]:
    ids = sorted(set(store_ids))
    stores = list(Store.objects.filter(merchant=access.merchant, pk__in=ids))
    if len(stores) != len(ids) or not all(access.sees_store(s.pk) for s in stores):
        raise NotFound("store_not_found", _("Store not found."), field="store_ids")
    return stores


def check_assignable(access: Access, role: Role, stores: list[Store]) -> None:
    """A staff member can hand out only what they hold: a role within their permissions, stores
    within their stores. Store-bound roles need at least one store."""
    if not role.permissions <= access.permissions or (role.code == OWNER and role.is_builtin and not access.is_owner):
        raise PermissionDenied("role_not_assignable", _("You cannot give a role with more rights than your own."))
    if access.is_store_bound and not role.store_bound:
        raise PermissionDenied("role_not_assignable", _("You can only give roles limited to stores."))
    if role.store_bound and not stores:
        raise InvalidInput("stores_required", _("Choose at least one store for this role."), field="store_ids")


def check_manageable(access: Access, staff: Staff) -> None:
    """Whether ``access`` may edit ``staff``: never someone with more rights or outside their stores."""
    access.require("staff.manage")
    role = staff.role
    if role is not None and not role.permissions <= access.permissions:
        raise PermissionDenied("staff_not_manageable", _("You cannot edit someone with more rights than you."))
    if access.is_store_bound:
        staff_store_ids = set(staff.stores.values_list("id", flat=True))
        if role is None or not role.store_bound or not staff_store_ids <= set(access.store_ids or ()):
            raise PermissionDenied("staff_not_manageable", _("This person also works outside your stores."))


def _unique_conflict(exc: IntegrityError, username: str, phone: str | None) -> Conflict:
    if phone and Staff.objects.filter(phone=phone).exists():
        return Conflict("phone_taken", _("Another account already uses this phone."), field="phone")
    return Conflict(
        "username_taken", _("This username is taken."), field="username", detail={"username": username}
    )


def _snapshot(staff: Staff) -> dict[str, Any]:
    return {
        "name": staff.name,
        "phone": mask_phone(staff.phone),
        "role": staff.role.code if staff.role_id else None,
        "store_ids": sorted(staff.stores.values_list("id", flat=True)) if staff.pk else [],
        "is_active": staff.is_active,
    }


def staff_create(
    *,
    access: Access,
    username: str,
    password: str,
    role_id: int,
    name: str = "",
    phone: str | None = None,
    store_ids: Iterable[int] = (),
) -> Staff:
    access.require("staff.manage")
    username = clean_username(username)
    phone = _clean_phone(phone)
    role = _role_for(access, role_id)
    stores = _stores_for(access, store_ids)
    check_assignable(access, role, stores)
    staff = Staff(merchant=access.merchant, username=username, name=(name or "").strip()[:60], phone=phone, role=role)
    validate_password(password, staff)
    staff.set_password(password)
    try:
        with transaction.atomic():
            staff.save()
            staff.stores.set(stores)
            audit_record(
                merchant=access.merchant, actor=access, action="staff.created", target=staff,
                store=stores[0] if len(stores) == 1 else None, changes={"created": _snapshot(staff)},
            )
    except IntegrityError as exc:
        raise _unique_conflict(exc, username, phone) from exc
    return staff


def staff_create_unchecked(
    *, merchant: Any, username: str, password: str, role: Role, name: str = "", stores: Iterable[Store] = ()
) -> Staff:
    """Create an account without permission checks: merchant set-up and the demo data only."""
    username = clean_username(username)
    staff = Staff(merchant=merchant, username=username, name=name, role=role)
    validate_password(password, staff)
    staff.set_password(password)
    try:
        with transaction.atomic():
            staff.save()
            staff.stores.set(list(stores))
    except IntegrityError as exc:
        raise _unique_conflict(exc, username, None) from exc
    return staff


def _active_owner_count(access: Access) -> int:
    return Staff.objects.filter(
        merchant=access.merchant, is_active=True, role__is_builtin=True, role__code=OWNER
    ).count()


def staff_update(
    *,
    access: Access,
    staff: Staff,
    name: str | None = None,
    phone: str | None = None,
    role_id: int | None = None,
    store_ids: Iterable[int] | None = None,
    is_active: bool | None = None,
) -> Staff:
    """Edit a staff member. Phone ``""`` clears it; ``None`` leaves a field as it is."""
    check_manageable(access, staff)
    before = _snapshot(staff)
    was_owner = staff.role is not None and staff.role.is_builtin and staff.role.code == OWNER
    role = _role_for(access, role_id) if role_id is not None else staff.role
    stores = _stores_for(access, store_ids) if store_ids is not None else list(staff.stores.all())
    if role_id is not None or store_ids is not None:
        check_assignable(access, role, stores)
    if staff.pk == access.staff.pk and (is_active is False or (role_id is not None and role.pk != staff.role_id)):
        raise Conflict("cannot_change_self", _("You cannot deactivate yourself or change your own role."))
    if name is not None:
        staff.name = name.strip()[:60]
    if phone is not None:
        staff.phone = _clean_phone(phone)
    staff.role = role
    if is_active is not None:
        staff.is_active = is_active
    loses_owner = was_owner and (not staff.is_active or not (role.is_builtin and role.code == OWNER))
    try:
        with transaction.atomic():
            staff.save()
            if store_ids is not None:
                staff.stores.set(stores)
            if loses_owner and _active_owner_count(access) == 0:
                raise Conflict("last_owner", _("The merchant must keep at least one active owner."))
            changes = {k: [before[k], v] for k, v in _snapshot(staff).items() if before[k] != v}
            if changes:
                audit_record(merchant=access.merchant, actor=access, action="staff.updated", target=staff,
                             changes=changes)
            if staff.is_active is False:
                token_revoke_all(staff=staff)
    except IntegrityError as exc:
        staff.refresh_from_db()
        raise _unique_conflict(exc, staff.username, staff.phone) from exc
    except Conflict:
        staff.refresh_from_db()
        raise
    return staff


def staff_set_password(*, access: Access, staff: Staff, password: str) -> Staff:
    """A manager sets a new password for someone; their API tokens stop working."""
    check_manageable(access, staff)
    validate_password(password, staff)
    staff.set_password(password)
    with transaction.atomic():
        staff.save(update_fields=["password"])
        token_revoke_all(staff=staff)
        audit_record(merchant=access.merchant, actor=access, action="staff.password_reset", target=staff)
    return staff


def account_change_password(*, access: Access, old_password: str, new_password: str) -> Staff:
    """Change one's own password, proving the old one; other API tokens are revoked."""
    staff = access.staff
    if not staff.check_password(old_password):
        raise InvalidInput("wrong_password", _("The current password is wrong."), field="old_password")
    validate_password(new_password, staff)
    staff.set_password(new_password)
    with transaction.atomic():
        staff.save(update_fields=["password"])
        token_revoke_all(staff=staff, kind="login")
        audit_record(merchant=access.merchant, actor=access, action="account.password_changed", target=staff)
    return staff
