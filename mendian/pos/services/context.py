"""What pricing a cart needs, fetched once: the store's products and prices, the member with their level,
points and stored value, the points rule and the levels. Quote, checkout and the counter page all build
their cart here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from mendian.cards.selectors import CardLineCheck, card_sales_check, cards_check_for_sale
from mendian.catalog.models import Product
from mendian.catalog.selectors import SellableProduct, sellable_products
from mendian.core.errors import InvalidInput, NotFound
from mendian.core.generation import cached_many
from mendian.loyalty.models import Level, PointsRule
from mendian.loyalty.services import points_rule_get
from mendian.members.models import Member
from mendian.promotions.campaigns import SaleOffers, running_promotions, sale_offers
from mendian.promotions.coupons import coupon_inputs, coupons_not_held
from mendian.promotions.engine import (
    CartIn,
    CouponIn,
    LineIn,
    MemberIn,
    PaymentIn,
    PointsRuleIn,
    PricedCart,
    price_cart,
)
from mendian.promotions.selectors import templates_for_counter
from mendian.tenancy.models import Store
from mendian.wallet.services import MemberAccounts, member_accounts_lock, member_accounts_read


@dataclass(frozen=True)
class CartLineRequest:
    product_id: int
    qty: int
    member_card_id: int | None = None  # a service paid by this card of the member


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
    offers: SaleOffers

    @property
    def member(self) -> Member | None:
        return self.accounts.member if self.accounts else None


def merged_lines(lines: Sequence[CartLineRequest]) -> tuple[CartLineRequest, ...]:
    """One line per product and card paying it (the same product scanned twice is one line with the
    quantities added)."""
    totals: dict[tuple[int, int | None], int] = {}
    for line in lines:
        key = (line.product_id, line.member_card_id)
        if isinstance(line.qty, bool) or not isinstance(line.qty, int):
            totals[key] = line.qty  # refused by the engine with a clear error
            continue
        totals[key] = totals.get(key, 0) + line.qty
    return tuple(CartLineRequest(p, q, c) for (p, c), q in totals.items())


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
    if not isinstance(request.coupon_selection, str):
        # Ids the sale cannot use: a coupon of the member that is used or expired is a conflict (409, from
        # the engine); one that is not the member's at all is not found for this sale.
        missing = set(request.coupon_selection) - {c.coupon_id for c in coupons}
        foreign = coupons_not_held(merchant_id=store.merchant_id, member_id=accounts.member.pk if accounts else None,
                                   coupon_ids=missing)
        if foreign:
            raise NotFound("coupon_not_found", _("This coupon is not the member's."), field="coupon_ids",
                           detail={"coupon_id": foreign[0]})
    products = sellable_products(merchant_id=store.merchant_id, store_id=store.pk,
                                 product_ids={line.product_id for line in lines}, with_groups=bool(coupons),
                                 generation=generation)
    _check_cards(store, accounts, lines, products, now)
    offers = sale_offers(running=running_promotions(merchant_id=store.merchant_id, generation=generation),
                         store=store, now=now, unit_prices={pid: p.unit_price_fen for pid, p in products.items()},
                         member_id=accounts.member.pk if accounts else None,
                         member_orders=accounts.member.order_count if accounts else 0)
    if member_in is not None and offers.extra_promotion_id is not None:
        member_in = replace(member_in, extra_discount_pct=offers.extra_discount_pct,
                            extra_promotion_id=offers.extra_promotion_id)
    cart = CartIn(
        store_id=store.pk, now=now, member=member_in, coupons=coupons, coupon_selection=request.coupon_selection,
        points=request.points, payments=request.payments, points_day_multiplier_pct=offers.points_multiplier_pct,
        rule=PointsRuleIn(points_per_yuan=rule.points_per_yuan, redeem_points=rule.redeem_points,
                          redeem_fen=rule.redeem_fen, max_redeem_pct=rule.max_redeem_pct),
        lines=_priced_lines(lines, products, offers),
    )
    return PricingContext(products=products, accounts=accounts, rule=rule, levels=levels, cart=cart, offers=offers)


def _check_cards(store: Store, accounts: MemberAccounts | None, lines: Sequence[CartLineRequest],
                 products: dict[int, SellableProduct], now: datetime) -> None:
    """A card is sold to a member; lines paid by cards use the member's cards (checked again, under lock,
    when the checkout uses them)."""
    card_products = {line.product_id for line in lines if products[line.product_id].product.kind == Product.Kind.CARD}
    if card_products:
        if accounts is None:
            raise InvalidInput("card_needs_member", _("Choose the member who buys the card."), field="member_id")
        card_sales_check(merchant_id=store.merchant_id, store_id=store.pk, product_ids=card_products)
    paid_by_card = [CardLineCheck(line.member_card_id, line.product_id, line.qty) for line in lines
                    if line.member_card_id is not None and isinstance(line.qty, int) and not isinstance(line.qty, bool)]
    cards_check_for_sale(merchant_id=store.merchant_id, member_id=accounts.member.pk if accounts else None,
                         store_id=store.pk, lines=paid_by_card, now=now)


def _priced_lines(lines: Sequence[CartLineRequest], products: dict[int, SellableProduct],
                  offers: SaleOffers) -> tuple[LineIn, ...]:
    """The engine's lines, each with its promotion price; a promotion limited per member covers only the
    units the member may still buy, so such a line is split in two (the rest at the regular price)."""
    allowance = dict(offers.limits)
    result = []
    for line in lines:
        sellable = products[line.product_id]
        product = sellable.product
        base = LineIn(product_id=line.product_id, qty=line.qty, unit_price_fen=sellable.unit_price_fen,
                      member_price_fen=product.member_price_fen, level_discount=product.level_discount,
                      category_id=product.category_id, group_ids=sellable.group_ids, cost_fen=product.cost_fen,
                      member_card_id=line.member_card_id)
        offer = offers.prices.get(line.product_id) if line.member_card_id is None else None
        if offer is None or not isinstance(line.qty, int) or isinstance(line.qty, bool):
            result.append(base)
            continue
        price, promotion_id = offer
        units = line.qty if promotion_id not in allowance else min(line.qty, allowance[promotion_id])
        if promotion_id in allowance:
            allowance[promotion_id] -= units
        if units:
            result.append(replace(base, qty=units, promo_unit_price_fen=price, promotion_id=promotion_id))
        if line.qty - units:
            result.append(replace(base, qty=line.qty - units))
    return tuple(result)


def price_sale(context: PricingContext) -> PricedCart:
    """Price the sale; a promotion whose budget cannot cover what it would give this order is left out
    (and the cart priced again without it)."""
    cart = context.cart
    if not context.offers.budgets:
        return price_cart(cart)
    probe = price_cart(replace(cart, payments=None))  # what the promotions would give, whatever is paid
    over = {pid for pid, fen in promotion_spends(probe).items()
            if pid in context.offers.budgets and fen > context.offers.budgets[pid]}
    if not over:
        return price_cart(cart)
    member = cart.member
    if member is not None and member.extra_promotion_id in over:
        member = replace(member, extra_discount_pct=100, extra_promotion_id=None)
    lines = tuple(replace(line, promo_unit_price_fen=None, promotion_id=None) if line.promotion_id in over else line
                  for line in cart.lines)
    return price_cart(replace(cart, member=member, lines=lines))


def promotion_spends(priced: PricedCart) -> dict[int, int]:
    """What each promotion gave in a priced sale."""
    spends: dict[int, int] = {}
    for line in priced.lines:
        if line.promotion_id is not None and line.promotion_discount_fen:
            spends[line.promotion_id] = spends.get(line.promotion_id, 0) + line.promotion_discount_fen
    return spends
