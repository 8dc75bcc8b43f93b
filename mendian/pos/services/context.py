"""What pricing a cart needs, fetched once: the store's products and prices, the member with their level,
points and stored value, the points rule and the levels. Quote, checkout and the counter page all build
their cart here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from mendian.catalog.selectors import SellableProduct, sellable_products
from mendian.core.errors import NotFound
from mendian.core.generation import cached_many
from mendian.loyalty.models import Level, PointsRule
from mendian.loyalty.services import points_rule_get
from mendian.members.models import Member
from mendian.promotions.coupons import coupon_inputs
from mendian.promotions.engine import CartIn, CouponIn, LineIn, MemberIn, PaymentIn, PointsRuleIn
from mendian.promotions.selectors import templates_for_counter
from mendian.tenancy.models import Store
from mendian.wallet.services import MemberAccounts, member_accounts_lock, member_accounts_read


@dataclass(frozen=True)
class CartLineRequest:
    product_id: int
    qty: int


@dataclass(frozen=True)
class SaleRequest:
    store: Store
    lines: tuple[CartLineRequest, ...]
    member: Member | None = None
    member_id: int | None = None  # instead of ``member``: the checkout reads (and locks) it with its accounts
    coupon_selection: str | tuple[int, ...] = ()
    points: int = 0
    payments: tuple[PaymentIn, ...] | None = None
    verification: dict | None = None
    new_member_phone: str | None = None  # 消费即会员

    @property
    def wanted_member_id(self) -> int | None:
        return self.member.pk if self.member is not None else self.member_id


@dataclass(frozen=True)
class PricingContext:
    products: dict[int, SellableProduct]
    accounts: MemberAccounts | None
    rule: PointsRule
    levels: list[Level]
    cart: CartIn

    @property
    def member(self) -> Member | None:
        return self.accounts.member if self.accounts else None


def merged_lines(lines: Sequence[CartLineRequest]) -> tuple[CartLineRequest, ...]:
    """One line per product (the same product scanned twice is one line with the quantities added)."""
    totals: dict[int, int] = {}
    for line in lines:
        if isinstance(line.qty, bool) or not isinstance(line.qty, int):
            totals[line.product_id] = line.qty  # refused by the engine with a clear error
            continue
        totals[line.product_id] = totals.get(line.product_id, 0) + line.qty
    return tuple(CartLineRequest(p, q) for p, q in totals.items())


def loyalty_settings(merchant_id: int, generation: int | None) -> tuple[PointsRule, list[Level]]:
    """The points rule and the levels (from the settings cache when the generation is known)."""

    def build(names: list[str]) -> dict[str, object]:
        return {"rule": points_rule_get(merchant_id=merchant_id),
                "levels": list(Level.objects.filter(merchant_id=merchant_id))}

    found = build([]) if generation is None else cached_many(merchant_id, generation, ["rule", "levels"], build)
    return found["rule"], found["levels"]


def pricing_context(*, request: SaleRequest, now: datetime, lock: bool = False, generation: int | None = None,
                    list_coupons: bool = False) -> PricingContext:
    """Everything the engine needs; ``lock`` (checkout) holds the member's rows until the transaction
    ends; with the merchant's settings ``generation`` the settings come from the cache. The member's
    coupons are read when the sale names some (or ``"auto"``) or ``list_coupons`` (a quote shows them)."""
    store = request.store
    lines = merged_lines(request.lines)
    accounts = None
    member_in = None
    rule, levels = loyalty_settings(store.merchant_id, generation)
    if request.wanted_member_id is not None:
        read = member_accounts_lock if lock else member_accounts_read
        accounts = read(merchant_id=store.merchant_id, member_id=request.wanted_member_id)
        if accounts is None:
            raise NotFound("member_not_found", _("Member not found."), field="member_id")
        level = next((lv for lv in levels if lv.pk == accounts.loyalty.level_id), None)
        accounts.loyalty.level = level
        member_in = MemberIn(discount_pct=level.discount_pct if level else 100,
                             points_multiplier_pct=level.points_multiplier_pct if level else 100,
                             points_balance=accounts.loyalty.points)
    coupons: tuple[CouponIn, ...] = ()
    if accounts is not None and (request.coupon_selection or list_coupons):
        coupons = coupon_inputs(member_id=accounts.member.pk, merchant_id=store.merchant_id, now=now,
                                templates=templates_for_counter(merchant_id=store.merchant_id, generation=generation))
    products = sellable_products(merchant_id=store.merchant_id, store_id=store.pk,
                                 product_ids={line.product_id for line in lines}, with_groups=bool(coupons),
                                 generation=generation)
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
    return PricingContext(products=products, accounts=accounts, rule=rule, levels=levels, cart=cart)
