"""The page navigation. Each app registers its entries; a person sees only what they may open."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .access import Access


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    icon: str
    permission: str | None
    order: int


_ITEMS: list[NavItem] = []


def register_nav(*items: NavItem) -> None:
    _ITEMS.extend(items)
    _ITEMS.sort(key=lambda item: item.order)


def nav_for(access: Access | None, current_path: str) -> list[dict[str, object]]:
    if access is None:
        return []
    entries = []
    for item in _ITEMS:
        if item.permission and not access.can(item.permission):
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        entries.append({"url": url, "label": item.label, "icon": item.icon, "active": active})
    return entries


TENANCY_NAV = (
    NavItem("home", _("Overview"), "speedometer2", None, 0),
    NavItem("stores:list", _("Stores"), "shop", "stores.view", 80),
    NavItem("staff:list", _("Staff"), "people", "staff.view", 82),
    NavItem("roles:list", _("Roles"), "shield-lock", "roles.manage", 84),
    NavItem("tokens:list", _("API tokens"), "key", "tokens.manage", 86),
    NavItem("audit:list", _("Audit log"), "journal-text", "audit.view", 88),
)
