from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.validation import required_text

from ..access import Access
from ..models import Merchant, Staff, Store
from ..permissions import OWNER
from ..validation import clean_timezone
from .audit import audit_record
from .roles import roles_create_builtin
from .staff import staff_create_unchecked
from .stores import store_create_unchecked


@dataclass(frozen=True)
class NewMerchant:
    merchant: Merchant
    owner: Staff
    store: Store | None


def merchant_create(
    *,
    name: str,
    owner_username: str,
    owner_password: str,
    owner_name: str = "",
    store_name: str | None = None,
    store_city: str = "",
    timezone_name: str = "Asia/Shanghai",
) -> NewMerchant:
    """A new merchant with its built-in roles, its owner and (optionally) a first store. Platform use."""
    name = required_text(name, field="name", message=_("Name the merchant."), max_length=100)
    with transaction.atomic():
        merchant = Merchant.objects.create(name=name, timezone=clean_timezone(timezone_name))
        roles = roles_create_builtin(merchant=merchant)
        store = None
        if store_name:
            store = store_create_unchecked(merchant=merchant, name=store_name, code="S001", city=store_city)
        owner = staff_create_unchecked(
            merchant=merchant, username=owner_username, password=owner_password, role=roles[OWNER],
            name=owner_name or owner_username,
        )
        audit_record(merchant=merchant, actor=owner, action="merchant.created", target=merchant, store=store,
                     changes={"owner": owner.username})
    return NewMerchant(merchant=merchant, owner=owner, store=store)


def merchant_complete_onboarding(*, access: Access) -> Merchant:
    access.require("merchant.settings")
    merchant = access.merchant
    if merchant.onboarding_completed_at is None:
        with transaction.atomic():
            merchant.onboarding_completed_at = timezone.now()
            merchant.save(update_fields=["onboarding_completed_at", "updated_at"])
            audit_record(merchant=merchant, actor=access, action="merchant.onboarding_completed", target=merchant)
    return merchant
