"""Demo counter: one store asks members to confirm stored-value payments, checkout registers new phones,
retail goods have stock, and today has some sales (by the real checkout; the analytics data set brings a
history of orders)."""

from __future__ import annotations

from django.utils import timezone

from mendian.catalog.models import Product
from mendian.catalog.services import stock_receive
from mendian.core.seeding import SeedContext
from mendian.members.models import Member
from mendian.promotions.engine import PaymentIn
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Store

from .services.checkout import sale_checkout
from .services.context import CartLineRequest, SaleRequest, price_sale, pricing_context

ORDER = 50
DEMO_ORDERS = 120


def seed(ctx: SeedContext) -> None:
    merchant = ctx.data["merchant"]
    Merchant.objects.filter(pk=merchant.pk).update(checkout_registers_members=True)
    Store.objects.filter(pk=ctx.data["stores_by_code"]["SH01"].pk).update(verify_member_payments=True)
    access = Access.for_staff(ctx.data["staff"]["owner"])
    goods = [p for p in ctx.data["products"] if p.kind == Product.Kind.GOODS]
    Product.objects.filter(pk__in=[p.pk for p in goods]).update(track_stock=True, low_stock_threshold=10)
    for store in ctx.data["stores"]:
        for product in goods:
            product.refresh_from_db()
            stock_receive(access=access, store=store, product=product, quantity=200, note="开业备货")
    if ctx.members is not None and ctx.members >= 5000:
        return  # scale mode: orders come with the analytics data set
    _sales(ctx, access)


def _sales(ctx: SeedContext, access: Access) -> None:
    rng = ctx.rng
    stores = [s for s in ctx.data["stores"] if not s.verify_member_payments]
    members = list(Member.objects.filter(merchant=ctx.data["merchant"]).order_by("id")[:400])
    products = ctx.data["products"]
    for _ in range(DEMO_ORDERS):
        member = rng.choice(members) if rng.random() < 0.7 else None
        lines = tuple(CartLineRequest(p.pk, rng.randint(1, 2)) for p in rng.sample(products, rng.randint(1, 3)))
        request = SaleRequest(store=rng.choice(stores), member=member, lines=lines)
        payable = price_sale(pricing_context(request=request, now=timezone.now())).payable_fen
        method = rng.choice(["wechat", "alipay", "cash", "card"])
        request = SaleRequest(**{**request.__dict__, "payments": (PaymentIn(method, payable),)})
        sale_checkout(access=access, request=request)
