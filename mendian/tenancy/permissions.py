"""The permission registry and the built-in roles (分角色管理员工权限).

A permission is a code such as ``stores.manage``. Each app registers its own permissions in its
``AppConfig.ready`` with the built-in roles that hold them by default; the owner holds all. Built-in
roles read their sets from here, so a permission added by a later feature reaches them without a data
migration. Custom roles choose from the registry except the owner-only permissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

OWNER = "owner"
HQ_ADMIN = "hq_admin"
STORE_MANAGER = "store_manager"
CASHIER = "cashier"
MARKETER = "marketer"
FINANCE = "finance"
BUILTIN_ROLE_ORDER = (OWNER, HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER, FINANCE)


@dataclass(frozen=True)
class Permission:
    code: str
    label: str | Promise
    group: str | Promise
    # Built-in roles that hold it besides the owner. Owner-only permissions cannot go to custom roles.
    roles: tuple[str, ...] = ()
    owner_only: bool = False


@dataclass(frozen=True)
class BuiltinRole:
    code: str
    name: str | Promise
    store_bound: bool
    description: str | Promise

    @property
    def permissions(self) -> frozenset[str]:
        if self.code == OWNER:
            return known_permissions()
        return frozenset(p.code for p in _REGISTRY.values() if self.code in p.roles and not p.owner_only)


BUILTIN_ROLES: dict[str, BuiltinRole] = {
    role.code: role
    for role in (
        BuiltinRole(OWNER, _("Owner"), False, _("Everything, including roles and integration tokens.")),
        BuiltinRole(HQ_ADMIN, _("HQ administrator"), False, _("Runs the chain for the owner, across all stores.")),
        BuiltinRole(STORE_MANAGER, _("Store manager"), True, _("Runs their stores and their staff.")),
        BuiltinRole(CASHIER, _("Cashier"), True, _("Works the counter in their stores.")),
        BuiltinRole(MARKETER, _("Marketer"), False, _("Members, segments, coupons and campaigns.")),
        BuiltinRole(FINANCE, _("Finance"), False, _("Reports, reconciliation and the audit log.")),
    )
}

_REGISTRY: dict[str, Permission] = {}


def register_permissions(permissions: Iterable[Permission]) -> None:
    for permission in permissions:
        unknown = set(permission.roles) - set(BUILTIN_ROLES)
        if unknown:
            raise ValueError(f"{permission.code}: unknown built-in roles {unknown}")
        _REGISTRY[permission.code] = permission


def all_permissions() -> list[Permission]:
    return list(_REGISTRY.values())


def known_permissions() -> frozenset[str]:
    return frozenset(_REGISTRY)


def grantable_permissions() -> frozenset[str]:
    """What a custom role may hold."""
    return frozenset(code for code, p in _REGISTRY.items() if not p.owner_only)


def permission_groups() -> list[tuple[str, list[Permission]]]:
    groups: dict[str, list[Permission]] = {}
    for permission in _REGISTRY.values():
        groups.setdefault(str(permission.group), []).append(permission)
    return list(groups.items())


_STORES = _("Stores")
_STAFF = _("Staff and roles")
_SYSTEM = _("System")
_EVERYONE = (HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER, FINANCE)

TENANCY_PERMISSIONS = (
    Permission("stores.view", _("View stores"), _STORES, _EVERYONE),
    Permission("stores.edit", _("Edit the details and hours of their stores"), _STORES, (HQ_ADMIN, STORE_MANAGER)),
    Permission("stores.manage", _("Open, approve and close stores"), _STORES, (HQ_ADMIN,)),
    Permission("staff.view", _("View staff"), _STAFF, (HQ_ADMIN, STORE_MANAGER)),
    Permission("staff.manage", _("Add and edit staff, reset passwords"), _STAFF, (HQ_ADMIN, STORE_MANAGER)),
    Permission("roles.manage", _("Create and edit roles"), _STAFF, owner_only=True),
    Permission("audit.view", _("View the audit log"), _SYSTEM, (HQ_ADMIN, STORE_MANAGER, FINANCE)),
    Permission("merchant.settings", _("Change merchant settings and onboarding"), _SYSTEM, (HQ_ADMIN,)),
    Permission("tokens.manage", _("Create and revoke integration API tokens"), _SYSTEM, owner_only=True),
)
