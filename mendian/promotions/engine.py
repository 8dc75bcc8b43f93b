"""The pricing engine: API.md's money rules as a pure function of plain data.

``price_cart(cart)`` applies rules 1–5 and 7 (rule 1, the unit price, is resolved by the caller and
passed in each line): member prices, coupons, points and payments, with every discount allocated to
the lines by largest remainder so that lines always add up to the order and later partial refunds
are exact. ``share_of`` and ``split_by_remaining`` are the arithmetic of rule 9 (refunds). Quote,
checkout, refund and the counter page all use these functions; nothing else prices a cart.

Coupons and promotions are inputs: the caller passes the member's coupons (``CouponIn``) and any
time-limited price of a line (``LineIn.promo_unit_price_fen``); the engine decides which apply.
This module imports nothing from Django's ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput
from mendian.core.money import allocate, div_half_up, percent_of

PAYMENT_METHODS = ("stored_value", "cash", "wechat", "alipay", "card")
MAX_QTY = 9999


# --- inputs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineIn:
    product_id: int
    qty: int
    unit_price_fen: int  # rule 1: the store's price if set, else the product's
    member_price_fen: int | None = None
    level_discount: bool = True
    promo_unit_price_fen: int | None = None
    promotion_id: int | None = None  # the promotion behind ``promo_unit_price_fen``
    category_id: int | None = None
    group_ids: frozenset[int] = frozenset()
    cost_fen: int | None = None
    # Paid by this member card (次卡/月卡 etc.): the line costs nothing and takes no coupon, points or
    # promotion; what it would have cost is its ``card_discount_fen``. The caller checks the card.
    member_card_id: int | None = None


@dataclass(frozen=True)
class MemberIn:
    discount_pct: int = 100  # the level's: 95 = pay 95 %
    points_multiplier_pct: int = 100  # the level's: 150 = ×1.5
    points_balance: int = 0
    # A member day (会员日): a further percent on the level's price, and the promotion giving it.
    extra_discount_pct: int = 100
    extra_promotion_id: int | None = None


@dataclass(frozen=True)
class PointsRuleIn:
    points_per_yuan: int = 1
    redeem_points: int = 100
    redeem_fen: int = 100
    max_redeem_pct: int = 50


@dataclass(frozen=True)
class CouponIn:
    coupon_id: int
    template_id: int
    kind: str  # "amount_off" (满减), "voucher" (代金券), "percent_off" (折扣) or "item" (商品券)
    amount_fen: int = 0
    percent: int = 100  # percent_off, and item coupons at a percent: the part paid, 80 = 8折
    max_discount_fen: int | None = None
    min_spend_fen: int = 0
    # Scope: a line is eligible when it matches an include (any of the three; none given = every
    # line) and no exclude.
    include_product_ids: frozenset[int] | None = None
    exclude_product_ids: frozenset[int] = frozenset()
    include_category_ids: frozenset[int] | None = None
    include_group_ids: frozenset[int] | None = None
    exclude_category_ids: frozenset[int] = frozenset()
    exclude_group_ids: frozenset[int] = frozenset()
    store_ids: frozenset[int] | None = None
    stackable: bool = False
    stack_group: str = ""  # stackable coupons combine within their group only
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    at_counter: bool = True
    item_mode: str = ""  # item coupons: "free", "price" (item_price_fen) or "percent" (percent)
    item_price_fen: int | None = None


@dataclass(frozen=True)
class PaymentIn:
    method: str
    amount_fen: int
    tendered_fen: int | None = None


@dataclass(frozen=True)
class CartIn:
    store_id: int
    lines: tuple[LineIn, ...]
    now: datetime
    rule: PointsRuleIn = PointsRuleIn()
    member: MemberIn | None = None
    coupons: tuple[CouponIn, ...] = ()  # the member's unused coupons
    coupon_selection: str | tuple[int, ...] = ()  # "auto" or the ids the customer chose
    points: int = 0
    payments: tuple[PaymentIn, ...] | None = None  # None: a quote that does not pay yet
    points_day_multiplier_pct: int = 100


# --- outputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineOut:
    product_id: int
    qty: int
    unit_price_fen: int
    member_unit_price_fen: int
    line_price_fen: int
    member_discount_fen: int
    coupon_discount_fen: int
    points_discount_fen: int
    points_used: int
    payable_fen: int
    points_earned: int
    coupon_shares: tuple[tuple[int, int], ...]  # (coupon id, fen) of this line
    promotion_id: int | None = None  # the promotion that set the member unit price
    promotion_discount_fen: int = 0  # what it saved beyond the member's other prices
    member_card_id: int | None = None  # the member card paying for the line
    card_discount_fen: int = 0  # what the card covered: the line's price


@dataclass(frozen=True)
class CouponCheck:
    coupon_id: int
    usable: bool
    reason: str | None  # why not: expired, not_yet_valid, not_in_store, no_eligible_products, below_min_spend
    discount_fen: int  # what it would take alone
    min_spend_fen: int
    eligible_total_fen: int


@dataclass(frozen=True)
class PaymentOut:
    method: str
    amount_fen: int
    tendered_fen: int | None
    change_fen: int


@dataclass(frozen=True)
class PricedCart:
    store_id: int
    lines: tuple[LineOut, ...]
    subtotal_fen: int
    member_discount_fen: int
    coupon_discount_fen: int
    coupons_applied: tuple[int, ...]
    points_used: int
    points_discount_fen: int
    payable_fen: int
    points_earned: int
    payments: tuple[PaymentOut, ...]
    change_fen: int
    coupon_checks: tuple[CouponCheck, ...]
    warnings: tuple[str, ...]
    card_discount_fen: int = 0  # lines paid by member cards

    def coupon_discount_of(self, coupon_id: int) -> int:
        return sum(fen for line in self.lines for cid, fen in line.coupon_shares if cid == coupon_id)


# --- rule 2 ----------------------------------------------------------------------------------
def member_unit_price(line: LineIn, member: MemberIn | None) -> int:
    """The lowest of the unit price, a time-limited price, and for members the member price and the
    level's discount (half-up), on a member day with its extra percent on top."""
    return _rule_2(line, member)[0]


def _rule_2(line: LineIn, member: MemberIn | None) -> tuple[int, int | None, int]:
    """(unit price, the promotion that set it, what that promotion saved per unit)."""
    regular = [line.unit_price_fen]
    promoted: list[tuple[int, int | None]] = []
    if line.promo_unit_price_fen is not None:
        promoted.append((line.promo_unit_price_fen, line.promotion_id))
    if member is not None:
        if line.member_price_fen is not None:
            regular.append(line.member_price_fen)
        if line.level_discount:
            level_price = percent_of(line.unit_price_fen, member.discount_pct)
            regular.append(level_price)
            if member.extra_discount_pct != 100:
                promoted.append((percent_of(level_price, member.extra_discount_pct), member.extra_promotion_id))
    best_regular = min(regular)
    best = min(promoted, default=None, key=lambda p: p[0])
    if best is None or best[0] >= best_regular:
        return best_regular, None, 0
    return best[0], best[1], best_regular - best[0]


def _card_rule_2(line: LineIn, member: MemberIn | None) -> tuple[int, int | None, int]:
    """A line paid by a card is valued at the member's regular price: no promotion gives anything on it."""
    regular_member = replace(member, extra_discount_pct=100, extra_promotion_id=None) if member else None
    return _rule_2(replace(line, promo_unit_price_fen=None, promotion_id=None), regular_member)


# --- rule 3 ----------------------------------------------------------------------------------
def _in_scope(coupon: CouponIn, line: LineIn) -> bool:
    includes = (coupon.include_product_ids, coupon.include_category_ids, coupon.include_group_ids)
    if any(ids is not None for ids in includes) and not (
            (coupon.include_product_ids is not None and line.product_id in coupon.include_product_ids)
            or (coupon.include_category_ids is not None and line.category_id in coupon.include_category_ids)
            or (coupon.include_group_ids is not None and not line.group_ids.isdisjoint(coupon.include_group_ids))):
        return False
    return not (line.product_id in coupon.exclude_product_ids or line.category_id in coupon.exclude_category_ids
                or not line.group_ids.isdisjoint(coupon.exclude_group_ids))


def _eligible(coupon: CouponIn, lines: tuple[LineIn, ...], amounts: list[int]) -> list[int]:
    return [i for i, line in enumerate(lines) if amounts[i] > 0 and _in_scope(coupon, line)]


def _discount(coupon: CouponIn, lines: tuple[LineIn, ...], amounts: list[int], eligible: list[int]) -> list[int]:
    """The coupon's discount on each line, from what is left of the lines (``amounts``)."""
    shares = [0] * len(amounts)
    if not eligible:
        return shares
    if coupon.kind == "item":
        # One unit of the dearest eligible line, at what is left of its price.
        best = max(eligible, key=lambda i: (amounts[i] // lines[i].qty, -i))
        unit = amounts[best] // lines[best].qty
        if coupon.item_mode == "free":
            value = unit
        elif coupon.item_mode == "price":
            value = max(unit - (coupon.item_price_fen or 0), 0)
        else:
            value = unit - percent_of(unit, coupon.percent)
        if coupon.max_discount_fen is not None:
            value = min(value, coupon.max_discount_fen)
        shares[best] = value
        return shares
    base = sum(amounts[i] for i in eligible)
    if coupon.kind in ("amount_off", "voucher"):
        value = min(coupon.amount_fen, base)
    else:
        value = div_half_up(base * (100 - coupon.percent), 100)
        if coupon.max_discount_fen is not None:
            value = min(value, coupon.max_discount_fen)
    for i, part in zip(eligible, allocate(value, [amounts[i] for i in eligible]), strict=True):
        shares[i] = part
    return shares


def _check_all(coupons: tuple[CouponIn, ...], cart: CartIn, amounts: list[int]) -> dict[int, CouponCheck]:
    """Whether each coupon applies to the cart priced so far (after rule 2), and why not. Copies of one
    template differ only in their dates, so the cart is looked at once per template (a member with
    sixty coupons of twelve kinds costs twelve looks)."""
    checks: dict[int, CouponCheck] = {}
    per_template: dict[int, tuple[str | None, int, int]] = {}
    for coupon in coupons:
        reason = None
        if coupon.valid_until is not None and cart.now > coupon.valid_until:
            reason = "expired"
        elif coupon.valid_from is not None and cart.now < coupon.valid_from:
            reason = "not_yet_valid"
        if coupon.template_id not in per_template:
            eligible = _eligible(coupon, cart.lines, amounts)
            eligible_total = sum(amounts[i] for i in eligible)
            template_reason = None
            if coupon.store_ids is not None and cart.store_id not in coupon.store_ids:
                template_reason = "not_in_store"
            elif not coupon.at_counter:
                template_reason = "not_at_counter"
            elif not eligible:
                template_reason = "no_eligible_products"
            elif eligible_total < coupon.min_spend_fen:
                template_reason = "below_min_spend"
            value = 0 if template_reason else sum(_discount(coupon, cart.lines, amounts, eligible))
            per_template[coupon.template_id] = (template_reason, value, eligible_total)
        template_reason, value, eligible_total = per_template[coupon.template_id]
        reason = reason or template_reason
        checks[coupon.coupon_id] = CouponCheck(coupon.coupon_id, reason is None, reason, 0 if reason else value,
                                               coupon.min_spend_fen, eligible_total)
    return checks


_KIND_ORDER = {"item": 0, "percent_off": 1, "amount_off": 2, "voucher": 2}


def _in_order(coupons: list[CouponIn]) -> list[CouponIn]:
    """Coupons of one order apply in a fixed order, so a combination has one value whatever order they
    were named in: item coupons (on a unit at its full price), then percents, then amounts off; within a
    kind by template (copies of one template are interchangeable)."""
    return sorted(coupons, key=lambda c: (_KIND_ORDER.get(c.kind, 3), c.template_id, c.coupon_id))


def _apply_coupons(cart: CartIn, chosen: list[CouponIn], base: list[int]) -> tuple[list[int], dict[int, list[int]]]:
    """Apply coupons in their fixed order; each takes from its eligible lines what is left after the
    earlier ones."""
    amounts = list(base)
    shares: dict[int, list[int]] = {}
    for coupon in _in_order(chosen):
        share = _discount(coupon, cart.lines, amounts, _eligible(coupon, cart.lines, amounts))
        for i, part in enumerate(share):
            amounts[i] -= part
        shares[coupon.coupon_id] = share
    return amounts, shares


def _expiry(coupon: CouponIn) -> float:
    return coupon.valid_until.timestamp() if coupon.valid_until is not None else float("inf")


EXHAUSTIVE_UP_TO = 6


def _group_options(group: list[CouponIn]) -> list[list[CouponIn]]:
    """The combinations of a stacking group worth pricing: every subset when there are few candidates
    (adding a coupon can, through rounding and caps, take a fen from another), else the whole group and
    the group less each one."""
    if len(group) <= EXHAUSTIVE_UP_TO:
        return [[c for bit, c in enumerate(group) if mask >> bit & 1] for mask in range(1, 1 << len(group))]
    return [group] + [group[:i] + group[i + 1:] for i in range(len(group))]


def _best_combination(cart: CartIn, usable: list[CouponIn], base: list[int],
                      standalone: dict[int, int]) -> list[CouponIn]:
    """API.md rule 3 ``"auto"``: the largest total discount; on a tie, the combination expiring first.

    Options are each exclusive coupon alone and the combinations of each stacking group (for each
    template the coupon worth most alone, the earlier expiry on a tie). The candidates are one per
    template, so a member holding sixty coupons of a few kinds is priced as fast as one holding two.
    """
    options: list[list[CouponIn]] = [[c] for c in usable if not c.stackable]
    groups: dict[str, dict[int, CouponIn]] = {}
    for coupon in sorted((c for c in usable if c.stackable),
                         key=lambda c: (-standalone[c.coupon_id], _expiry(c), c.coupon_id)):
        groups.setdefault(coupon.stack_group, {}).setdefault(coupon.template_id, coupon)
    for _group, per_template in sorted(groups.items()):
        options.extend(_group_options(sorted(per_template.values(), key=lambda c: c.coupon_id)))
    best: tuple[int, float, list[CouponIn]] | None = None
    for option in options:
        amounts, _shares = _apply_coupons(cart, option, base)
        total = sum(base) - sum(amounts)
        expiry = min(_expiry(c) for c in option)
        if total > 0 and (best is None or (total, -expiry) > (best[0], -best[1])):
            best = (total, expiry, option)
    return best[2] if best else []


def combinable(coupons: list[CouponIn]) -> bool:
    """At most one exclusive coupon and nothing beside it; stackable ones of one group, one per template."""
    exclusive = [c for c in coupons if not c.stackable]
    if exclusive:
        return len(coupons) == 1
    templates = [c.template_id for c in coupons]
    return len(templates) == len(set(templates)) and len({c.stack_group for c in coupons}) <= 1


def _chosen_coupons(cart: CartIn, checks: dict[int, CouponCheck], base: list[int]) -> list[CouponIn]:
    by_id = {c.coupon_id: c for c in cart.coupons}
    if cart.coupon_selection == "auto":
        return _best_combination(cart, [c for c in cart.coupons if checks[c.coupon_id].usable], base,
                                 {cid: check.discount_fen for cid, check in checks.items()})
    chosen = []
    for coupon_id in dict.fromkeys(cart.coupon_selection):
        coupon = by_id.get(coupon_id)
        if coupon is None:
            raise Conflict("coupon_unavailable", _("This coupon cannot be used (used, expired or not the member's)."),
                           field="coupon_ids", detail={"coupon_id": coupon_id})
        check = checks[coupon_id]
        if not check.usable:
            raise InvalidInput("coupon_not_applicable", _("This coupon does not apply to this order."),
                               field="coupon_ids", detail={"coupon_id": coupon_id, "reason": check.reason,
                                                           "min_spend_fen": check.min_spend_fen,
                                                           "eligible_total_fen": check.eligible_total_fen})
        chosen.append(coupon)
    if not combinable(chosen):
        raise InvalidInput("coupons_not_combinable", _("These coupons cannot be used together."),
                           field="coupon_ids")
    return chosen


# --- rule 4 ----------------------------------------------------------------------------------
def _points_value(cart: CartIn, payable_after_coupons: int) -> int:
    """The value of the points asked for, checked against the unit, the balance and the cap."""
    points, rule = cart.points, cart.rule
    if not points:
        return 0
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise InvalidInput("invalid_points", _("Points are a whole number, not negative."), field="points")
    if cart.member is None:
        raise InvalidInput("points_need_member", _("Only members can pay with points."), field="points")
    if points % rule.redeem_points:
        raise InvalidInput("points_not_multiple",
                           _("Points are used in steps of %(step)s.") % {"step": rule.redeem_points},
                           field="points", detail={"redeem_points": rule.redeem_points})
    if points > cart.member.points_balance:
        raise Conflict("insufficient_points", _("The member does not have enough points."), field="points",
                       detail={"points_balance": cart.member.points_balance})
    value = points // rule.redeem_points * rule.redeem_fen
    if value * 100 > payable_after_coupons * rule.max_redeem_pct:
        max_value = payable_after_coupons * rule.max_redeem_pct // 100
        max_points = max_value // rule.redeem_fen * rule.redeem_points
        raise InvalidInput("points_over_limit",
                           _("Points can pay at most %(pct)s%% of this bill: up to %(max)s points.")
                           % {"pct": rule.max_redeem_pct, "max": max_points},
                           field="points", detail={"max_points": max_points, "max_redeem_pct": rule.max_redeem_pct})
    return value


# --- rule 5 ----------------------------------------------------------------------------------
def _payments(payments: tuple[PaymentIn, ...], payable: int) -> tuple[tuple[PaymentOut, ...], int]:
    out, change = [], 0
    for payment in payments:
        if payment.method not in PAYMENT_METHODS:
            raise InvalidInput("invalid_payment_method", _("Unknown payment method."), field="payments",
                               detail={"method": payment.method})
        if payment.amount_fen <= 0:
            raise InvalidInput("invalid_amount", _("Each payment is above zero."), field="payments")
        paid_change = 0
        if payment.tendered_fen is not None:
            if payment.method != "cash":
                raise InvalidInput("tendered_only_cash", _("Only cash is tendered."), field="payments")
            if payment.tendered_fen < payment.amount_fen:
                raise InvalidInput("tendered_too_little", _("The cash tendered is less than the cash part."),
                                   field="payments")
            paid_change = payment.tendered_fen - payment.amount_fen
        change += paid_change
        out.append(PaymentOut(payment.method, payment.amount_fen, payment.tendered_fen, paid_change))
    if len({p.method for p in out}) != len(out):
        raise InvalidInput("duplicate_payment_method", _("Each payment method appears once."), field="payments")
    if sum(p.amount_fen for p in out) != payable:
        raise InvalidInput("payment_mismatch", _("The payments must add up to exactly the amount to pay."),
                           field="payments", detail={"payable_fen": payable,
                                                     "paid_fen": sum(p.amount_fen for p in out)})
    return tuple(out), change


# --- the cart ----------------------------------------------------------------------------------
def _check_lines(lines: tuple[LineIn, ...]) -> None:
    if not lines:
        raise InvalidInput("empty_cart", _("Add at least one item."), field="lines")
    for line in lines:
        if not isinstance(line.qty, int) or isinstance(line.qty, bool) or not 1 <= line.qty <= MAX_QTY:
            raise InvalidInput("invalid_quantity", _("Quantities are whole numbers from 1 to 9999."), field="lines",
                               detail={"product_id": line.product_id})


def price_cart(cart: CartIn) -> PricedCart:
    """Price a cart by API.md rules 2–5 and 7 (rule 1 is each line's ``unit_price_fen``)."""
    _check_lines(cart.lines)
    rule_2 = [_rule_2(line, cart.member) if line.member_card_id is None else _card_rule_2(line, cart.member)
              for line in cart.lines]
    member_units = [unit for unit, _promotion, _saving in rule_2]
    base = [unit * line.qty for unit, line in zip(member_units, cart.lines, strict=True)]
    subtotal = sum(line.unit_price_fen * line.qty for line in cart.lines)
    # A line paid by a card leaves nothing to pay, discount or earn points on.
    card_parts = [b if line.member_card_id is not None else 0 for b, line in zip(base, cart.lines, strict=True)]
    to_price = [b - c for b, c in zip(base, card_parts, strict=True)]

    checks = _check_all(cart.coupons, cart, to_price)
    chosen = _chosen_coupons(cart, checks, to_price) if cart.member is not None or cart.coupon_selection else []
    amounts, coupon_shares = _apply_coupons(cart, chosen, to_price)

    points_value = _points_value(cart, sum(amounts))
    points_parts = allocate(points_value, amounts) if points_value else [0] * len(amounts)
    points_used = allocate(cart.points, points_parts) if points_value else [0] * len(amounts)
    payable_lines = [a - p for a, p in zip(amounts, points_parts, strict=True)]
    payable = sum(payable_lines)

    earned = 0
    if cart.member is not None:
        earned = (payable * cart.rule.points_per_yuan * cart.member.points_multiplier_pct
                  * cart.points_day_multiplier_pct) // 1_000_000
    earned_parts = allocate(earned, payable_lines) if earned else [0] * len(payable_lines)

    payments, change = _payments(cart.payments, payable) if cart.payments is not None else ((), 0)
    lines = tuple(
        LineOut(
            product_id=line.product_id, qty=line.qty, unit_price_fen=line.unit_price_fen,
            member_unit_price_fen=member_units[i], line_price_fen=base[i],
            member_discount_fen=line.unit_price_fen * line.qty - base[i],
            coupon_discount_fen=sum(s[i] for s in coupon_shares.values()),
            points_discount_fen=points_parts[i], points_used=points_used[i], payable_fen=payable_lines[i],
            points_earned=earned_parts[i],
            coupon_shares=tuple((cid, s[i]) for cid, s in coupon_shares.items() if s[i]),
            promotion_id=rule_2[i][1], promotion_discount_fen=rule_2[i][2] * line.qty,
            member_card_id=line.member_card_id, card_discount_fen=card_parts[i],
        )
        for i, line in enumerate(cart.lines)
    )
    warnings = tuple(f"below_cost:{line.product_id}" for line, out in zip(cart.lines, lines, strict=True)
                     if line.cost_fen is not None and line.member_card_id is None
                     and out.payable_fen < line.cost_fen * line.qty)
    return PricedCart(
        store_id=cart.store_id, lines=lines, subtotal_fen=subtotal,
        member_discount_fen=subtotal - sum(base), coupon_discount_fen=sum(to_price) - sum(amounts),
        coupons_applied=tuple(c.coupon_id for c in chosen if any(coupon_shares[c.coupon_id])),
        points_used=cart.points if points_value else 0, points_discount_fen=points_value, payable_fen=payable,
        points_earned=earned, payments=payments, change_fen=change,
        coupon_checks=tuple(checks[c.coupon_id] for c in cart.coupons), warnings=warnings,
        card_discount_fen=sum(card_parts),
    )


# --- rule 9: refunds ---------------------------------------------------------------------------
def share_of(remaining_fen: int, remaining_qty: int, qty: int) -> int:
    """What ``qty`` of the ``remaining_qty`` units still unrefunded take of ``remaining_fen``: all of it
    for the last units, else their proportion half-up. Successive calls add up to the whole exactly."""
    if not 0 < qty <= remaining_qty:
        raise ValueError("qty out of range")
    if qty == remaining_qty:
        return remaining_fen
    return div_half_up(remaining_fen * qty, remaining_qty)


def split_by_remaining(total: int, remaining: list[int]) -> list[int]:
    """Split a refund over what is left of each payment (or principal/bonus) by largest remainder; no
    part exceeds what is left, and the last refund returns exactly what is left."""
    if total > sum(remaining):
        raise ValueError("refund larger than what is left")
    return allocate(total, remaining) if total else [0] * len(remaining)
