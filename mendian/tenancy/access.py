"""Who is acting, for which merchant, with which permissions and in which stores.

Built once per request (pages: ``TenantMiddleware``; API: the bearer or session auth) and passed to
services and selectors, which scope every query by ``access.merchant`` and ``access.store_ids``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import NotFound, PermissionDenied

from .models import Merchant, Role, Staff

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Access:
    staff: Staff
    merchant: Merchant
    role: Role
    permissions: frozenset[str]
    # None: every store of the merchant (HQ roles). A set: only these stores (store-bound roles).
    store_ids: frozenset[int] | None
    ip_address: str | None = None
    # The bearer token the request came with (None for page sessions).
    token_id: int | None = None
    # The merchant's settings generation when the request began (``mendian.core.generation``), if known.
    settings_generation: int | None = None

    def generation(self) -> int:
        from mendian.core.generation import generation

        return self.settings_generation if self.settings_generation is not None else generation(self.merchant.pk)

    @classmethod
    def for_staff(cls, staff: Staff, *, ip_address: str | None = None, token_id: int | None = None) -> Access | None:
        """The access of an active merchant staff member, or None (platform operators, no role)."""
        if not staff.is_active or staff.merchant_id is None or staff.role_id is None:
            return None
        role = staff.role
        store_ids = frozenset(staff.stores.values_list("id", flat=True)) if role.store_bound else None
        return cls(
            staff=staff,
            merchant=staff.merchant,
            role=role,
            permissions=role.permissions,
            store_ids=store_ids,
            ip_address=ip_address,
            token_id=token_id,
        )

    @property
    def is_owner(self) -> bool:
        return self.role.is_builtin and self.role.code == "owner"

    @property
    def is_store_bound(self) -> bool:
        return self.store_ids is not None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(detail={"permission": permission})

    def sees_store(self, store_id: int | None) -> bool:
        return self.store_ids is None or store_id in self.store_ids

    def require_store(self, store_id: int | None) -> None:
        """Refuse a store outside the caller's stores exactly as a missing one (404)."""
        if store_id is None or not self.sees_store(store_id):
            raise NotFound(message=_("Store not found."), detail={"store_id": store_id})

    def require_stores(self, store_ids: Iterable[int]) -> None:
        for store_id in store_ids:
            self.require_store(store_id)

    def scope(self, queryset: QuerySet[M], *, store_field: str = "store") -> QuerySet[M]:
        """Limit a merchant-owned queryset to this merchant and, for store-bound roles, their stores."""
        queryset = queryset.filter(merchant=self.merchant)
        if self.store_ids is None:
            return queryset
        return queryset.filter(Q(**{f"{store_field}__in": self.store_ids}))
