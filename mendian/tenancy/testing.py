"""Builders for tests of every app: merchants with stores and staff, made through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from mendian.core.testing.api import ApiClient

from .access import Access
from .models import Merchant, Role, Staff, Store
from .services.merchants import merchant_create
from .services.staff import staff_create_unchecked
from .services.stores import store_create_unchecked
from .services.tokens import token_issue_login

PASSWORD = "Test-pass-2026"
_counter = itertools.count(1)


@dataclass
class MerchantWorld:
    merchant: Merchant
    owner: Staff
    stores: list[Store]
    roles: dict[str, Role]
    tag: str
    _clients: dict[int, ApiClient] = field(default_factory=dict)

    def staff(self, role: str, stores: list[Store] | None = None, username: str | None = None) -> Staff:
        """A staff member with a built-in role (store-bound roles default to the first store)."""
        role_obj = self.roles[role]
        if stores is None:
            stores = [self.stores[0]] if role_obj.store_bound else []
        name = username or f"{role}_{self.tag}_{next(_counter)}"
        return staff_create_unchecked(merchant=self.merchant, username=name, password=PASSWORD, role=role_obj,
                                      name=name, stores=stores)

    def api(self, staff: Staff | None = None, *, language: str = "zh-hans") -> ApiClient:
        """An API client logged in (bearer token) as ``staff`` (default: the owner)."""
        staff = staff or self.owner
        raw, _token = token_issue_login(staff=staff)
        return ApiClient(raw, language=language)

    def access(self, staff: Staff | None = None) -> Access:
        staff = Staff.objects.select_related("merchant", "role").get(pk=(staff or self.owner).pk)
        access = Access.for_staff(staff)
        assert access is not None
        return access


def make_world(name: str = "商户", *, stores: int = 2) -> MerchantWorld:
    tag = f"m{next(_counter)}"
    created = merchant_create(name=f"{name}{tag}", owner_username=f"owner_{tag}", owner_password=PASSWORD,
                              owner_name=f"老板{tag}")
    merchant = created.merchant
    Merchant.objects.filter(pk=merchant.pk).update(onboarding_completed_at=timezone.now())
    merchant.refresh_from_db()
    store_list = [
        store_create_unchecked(merchant=merchant, name=f"{name}{tag}门店{i + 1}", code=f"S{i + 1:03d}",
                               city="杭州" if i % 2 == 0 else "上海")
        for i in range(stores)
    ]
    roles = {role.code: role for role in Role.objects.filter(merchant=merchant, is_builtin=True)}
    return MerchantWorld(merchant=merchant, owner=created.owner, stores=store_list, roles=roles, tag=tag)
