"""Builders for tests: products and paid orders, made through the real services."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from mendian.catalog.models import Product
from mendian.members.models import Member
from mendian.promotions.engine import PaymentIn
from mendian.tenancy.testing import MerchantWorld

from .models import Order
from .services.checkout import sale_checkout
from .services.context import CartLineRequest, SaleRequest, price_sale, pricing_context


def make_product(world: MerchantWorld, **fields: Any) -> Product:
    fields.setdefault("name", f"{world.merchant.name}商品")
    fields.setdefault("price_fen", 10000)
    return Product.objects.create(merchant=world.merchant, **fields)


def make_order(world: MerchantWorld, *, store_index: int = 0, member: Member | None = None,
               lines: list[tuple[Product, int]] | None = None, method: str = "cash", **kwargs: Any) -> Order:
    """A paid order (cash by default) by the owner; pass ``points``, ``payments`` and the like through."""
    lines = lines or [(make_product(world), 1)]
    request = SaleRequest(store=world.stores[store_index], member=member,
                          lines=tuple(CartLineRequest(p.pk, q) for p, q in lines), **kwargs)
    if request.payments is None:
        payable = price_sale(pricing_context(request=request, now=timezone.now())).payable_fen
        request = SaleRequest(**{**request.__dict__, "payments": (PaymentIn(method, payable),) if payable else ()})
    return sale_checkout(access=world.access(), request=request)
