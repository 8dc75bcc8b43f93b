from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput
from mendian.core.validation import required_text

from ..access import Access
from ..models import Merchant, Role, Staff
from ..permissions import BUILTIN_ROLE_ORDER, BUILTIN_ROLES, grantable_permissions
from .audit import audit_record


def roles_create_builtin(*, merchant: Merchant) -> dict[str, Role]:
    """The six built-in roles of a new merchant (their permissions come from ``permissions.py``)."""
    roles = {}
    for code in BUILTIN_ROLE_ORDER:
        spec = BUILTIN_ROLES[code]
        roles[code] = Role.objects.create(
            merchant=merchant, code=code, name=str(spec.name), is_builtin=True, store_bound=spec.store_bound
        )
    return roles


def _clean(name: str, permissions: Iterable[str]) -> tuple[str, list[str]]:
    name = required_text(name, field="name", message=_("Name the role."), max_length=60)
    chosen = sorted(set(permissions))
    unknown = sorted(set(chosen) - grantable_permissions())
    if unknown:
        raise InvalidInput(
            "unknown_permission", _("Some permissions do not exist or cannot be given."),
            field="permissions", detail={"permissions": unknown},
        )
    return name, chosen


def _name_taken(merchant: Merchant, name: str, exclude: int | None = None) -> bool:
    roles = Role.objects.filter(merchant=merchant, name__iexact=name)
    if exclude:
        roles = roles.exclude(pk=exclude)
    return roles.exists() or name.lower() in _builtin_names()


def _builtin_names() -> set[str]:
    """The built-in roles' names in every language, so no custom role can pass for one."""
    names = set()
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            names.update(str(spec.name).lower() for spec in BUILTIN_ROLES.values())
    return names


def role_create(*, access: Access, name: str, permissions: Iterable[str], store_bound: bool = False) -> Role:
    access.require("roles.manage")
    name, chosen = _clean(name, permissions)
    if _name_taken(access.merchant, name):
        raise Conflict("role_name_taken", _("A role with this name exists."), field="name")
    code = "custom_" + get_random_string(8, "abcdefghijklmnopqrstuvwxyz0123456789")
    try:
        with transaction.atomic():
            role = Role.objects.create(
                merchant=access.merchant, code=code, name=name, store_bound=store_bound, custom_permissions=chosen
            )
            audit_record(merchant=access.merchant, actor=access, action="role.created", target=role,
                         changes={"permissions": chosen, "store_bound": store_bound})
    except IntegrityError as exc:
        raise Conflict("role_name_taken", _("A role with this name exists."), field="name") from exc
    return role


def role_update(
    *, access: Access, role: Role, name: str | None = None, permissions: Iterable[str] | None = None,
    store_bound: bool | None = None,
) -> Role:
    access.require("roles.manage")
    if role.is_builtin:
        raise Conflict("role_builtin", _("Built-in roles cannot be changed; make a custom role instead."))
    new_name, chosen = _clean(
        name if name is not None else role.name, permissions if permissions is not None else role.custom_permissions
    )
    if _name_taken(access.merchant, new_name, exclude=role.pk):
        raise Conflict("role_name_taken", _("A role with this name exists."), field="name")
    changes = {}
    if new_name != role.name:
        changes["name"] = [role.name, new_name]
    if chosen != sorted(role.custom_permissions):
        changes["permissions"] = [sorted(role.custom_permissions), chosen]
    if store_bound is not None and store_bound != role.store_bound:
        changes["store_bound"] = [role.store_bound, store_bound]
        role.store_bound = store_bound
    role.name, role.custom_permissions = new_name, chosen
    if changes:
        with transaction.atomic():
            role.save()
            audit_record(merchant=access.merchant, actor=access, action="role.updated", target=role, changes=changes)
    return role


def role_delete(*, access: Access, role: Role) -> None:
    access.require("roles.manage")
    if role.is_builtin:
        raise Conflict("role_builtin", _("Built-in roles cannot be deleted."))
    if Staff.objects.filter(role=role).exists():
        raise Conflict("role_in_use", _("Staff still have this role; give them another role first."))
    with transaction.atomic():
        audit_record(merchant=access.merchant, actor=access, action="role.deleted", target=role,
                     changes={"permissions": role.custom_permissions})
        role.delete()
