"""What pricing a cart needs, fetched once: the store's products and prices, the member's level and
points, the points rule. Quote, checkout and the counter page all build their cart here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mendian.catalog.selectors import SellableProduct, sellable_products
from mendian.loyalty.models import LoyaltyAccount, PointsRule
from mendian.loyalty.services import points_rule_get
from mendian.members.models import Member
from mendian.promotions.engine import CartIn, CouponIn, LineIn, MemberIn, PaymentIn, PointsRuleIn
from mendian.tenancy.models import Store


@dataclass(frozen=True)
class CartLineRequest:
    product_id: int
    qty: int


@dataclass(frozen=True)
class SaleRequest:
    store: Store
    lines: tuple[CartLineRequest, ...]
    member: Member | None = None
    coupon_selection: str | tuple[int, ...] = ()
    points: int = 0
    payments: tuple[PaymentIn, ...] | None = None
    verification: dict | None = None
    new_member_phone: str | None = None  # 消费即会员


@dataclass(frozen=True)
class PricingContext:
    products: dict[int, SellableProduct]
    account: LoyaltyAccount | None
    rule: PointsRule
    cart: CartIn


def merged_lines(lines: Sequence[CartLineRequest]) -> tuple[CartLineRequest, ...]:
    """One line per product (the same product scanned twice is one line with the quantities added)."""
    totals: dict[int, int] = {}
    for line in lines:
        if isinstance(line.qty, bool) or not isinstance(line.qty, int):
            totals[line.product_id] = line.qty  # refused by the engine with a clear error
            continue
        totals[line.product_id] = totals.get(line.product_id, 0) + line.qty
    return tuple(CartLineRequest(p, q) for p, q in totals.items())


def pricing_context(*, request: SaleRequest, now: datetime, coupons: tuple[CouponIn, ...] = ()) -> PricingContext:
    store = request.store
    lines = merged_lines(request.lines)
    products = sellable_products(merchant_id=store.merchant_id, store_id=store.pk,
                                 product_ids={line.product_id for line in lines})
    account = None
    member_in = None
    if request.member is not None:
        account = LoyaltyAccount.objects.select_related("level").get(member=request.member)
        level = account.level
        member_in = MemberIn(discount_pct=level.discount_pct if level else 100,
                             points_multiplier_pct=level.points_multiplier_pct if level else 100,
                             points_balance=account.points)
    rule = points_rule_get(merchant=store.merchant)
    cart = CartIn(
        store_id=store.pk, now=now, member=member_in, coupons=coupons, coupon_selection=request.coupon_selection,
        points=request.points, payments=request.payments,
        rule=PointsRuleIn(points_per_yuan=rule.points_per_yuan, redeem_points=rule.redeem_points,
                          redeem_fen=rule.redeem_fen, max_redeem_pct=rule.max_redeem_pct),
        lines=tuple(
            LineIn(product_id=line.product_id, qty=line.qty, unit_price_fen=products[line.product_id].unit_price_fen,
                   member_price_fen=products[line.product_id].product.member_price_fen,
                   level_discount=products[line.product_id].product.level_discount,
                   category_id=products[line.product_id].product.category_id,
                   group_ids=products[line.product_id].group_ids,
                   cost_fen=products[line.product_id].product.cost_fen)
            for line in lines
        ),
    )
    return PricingContext(products=products, account=account, rule=rule, cart=cart)
