"""The pricing engine against API.md's money rules, by example and by property."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mendian.core.errors import Conflict, InvalidInput
from mendian.core.money import div_half_up
from mendian.promotions.engine import (
    CartIn,
    CouponIn,
    LineIn,
    MemberIn,
    PaymentIn,
    PointsRuleIn,
    price_cart,
    share_of,
    split_by_remaining,
)

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
RULE = PointsRuleIn(points_per_yuan=1, redeem_points=100, redeem_fen=100, max_redeem_pct=50)


def cart(lines, **kwargs):
    return CartIn(store_id=1, lines=tuple(lines), now=NOW, rule=kwargs.pop("rule", RULE), **kwargs)


def test_walk_in_pays_list_prices():
    priced = price_cart(cart([LineIn(1, 2, 10000), LineIn(2, 3, 333)]))
    assert (priced.subtotal_fen, priced.payable_fen, priced.member_discount_fen, priced.points_earned) == \
        (20999, 20999, 0, 0)


def test_rule_2_member_price_and_level_discount_lowest_wins():
    member = MemberIn(discount_pct=95, points_multiplier_pct=100)
    priced = price_cart(cart([LineIn(1, 1, 8800, member_price_fen=6800), LineIn(2, 1, 10000),
                              LineIn(3, 3, 999), LineIn(4, 1, 5000, level_discount=False)], member=member))
    units = [line.member_unit_price_fen for line in priced.lines]
    assert units == [6800, 9500, 949, 5000]  # 999 × 95 % = 949.05 → 949
    assert priced.member_discount_fen == (8800 - 6800) + 500 + 3 * 50
    assert priced.points_earned == priced.payable_fen // 100


def test_rule_3_amount_and_percent_coupons_with_scope_and_threshold():
    member = MemberIn()
    coupons = (
        CouponIn(11, 1, "amount_off", amount_fen=2000, min_spend_fen=10000),
        CouponIn(12, 2, "percent_off", percent=80, max_discount_fen=1500, include_product_ids=frozenset({2})),
    )
    lines = [LineIn(1, 1, 6000), LineIn(2, 1, 9000)]
    amount = price_cart(cart(lines, member=member, coupons=coupons, coupon_selection=(11,)))
    assert amount.coupon_discount_fen == 2000 and amount.payable_fen == 13000
    assert [line.coupon_discount_fen for line in amount.lines] == [800, 1200]  # 6:9 of 2000
    percent = price_cart(cart(lines, member=member, coupons=coupons, coupon_selection=(12,)))
    assert percent.coupon_discount_fen == 1500  # 20 % of 9000 = 1800, capped at 1500
    assert [line.coupon_discount_fen for line in percent.lines] == [0, 1500]
    best = price_cart(cart(lines, member=member, coupons=coupons, coupon_selection="auto"))
    assert best.coupons_applied == (11,)
    short = price_cart(cart([LineIn(1, 1, 6000)], member=member, coupons=coupons, coupon_selection="auto"))
    assert short.coupons_applied == () and {c.coupon_id: c.reason for c in short.coupon_checks} == \
        {11: "below_min_spend", 12: "no_eligible_products"}
    with pytest.raises(InvalidInput) as refused:
        price_cart(cart([LineIn(1, 1, 6000)], member=member, coupons=coupons, coupon_selection=(11,)))
    assert refused.value.detail["reason"] == "below_min_spend"


def test_rule_3_auto_prefers_the_coupon_expiring_first_on_a_tie_and_respects_exclusivity():
    member = MemberIn()
    soon, later = NOW + timedelta(days=1), NOW + timedelta(days=30)
    coupons = (CouponIn(1, 1, "amount_off", amount_fen=500, valid_until=later),
               CouponIn(2, 2, "amount_off", amount_fen=500, valid_until=soon),
               CouponIn(3, 3, "amount_off", amount_fen=300, stackable=True),
               CouponIn(4, 4, "amount_off", amount_fen=300, stackable=True),
               CouponIn(5, 4, "amount_off", amount_fen=250, stackable=True),
               CouponIn(6, 6, "amount_off", amount_fen=9999, valid_until=NOW - timedelta(seconds=1)))
    priced = price_cart(cart([LineIn(1, 1, 10000)], member=member, coupons=coupons, coupon_selection="auto"))
    assert priced.coupons_applied == (3, 4)  # two stackables, 600 > 500 alone
    only_exclusive = coupons[:2]
    tie = price_cart(cart([LineIn(1, 1, 10000)], member=member, coupons=only_exclusive, coupon_selection="auto"))
    assert tie.coupons_applied == (2,)
    with pytest.raises(InvalidInput) as refused:
        price_cart(cart([LineIn(1, 1, 10000)], member=member, coupons=coupons, coupon_selection=(1, 3)))
    assert refused.value.code == "coupons_not_combinable"
    with pytest.raises(InvalidInput):
        price_cart(cart([LineIn(1, 1, 10000)], member=member, coupons=coupons, coupon_selection=(4, 5)))
    with pytest.raises(Conflict) as missing:
        price_cart(cart([LineIn(1, 1, 10000)], member=member, coupons=coupons, coupon_selection=(99,)))
    assert missing.value.code == "coupon_unavailable"


def test_item_coupons_take_one_unit_of_the_dearest_eligible_line():
    member = MemberIn(discount_pct=90)
    lines = [LineIn(1, 2, 3000, category_id=7), LineIn(2, 1, 5000, category_id=7), LineIn(3, 1, 9000, category_id=8)]
    free = CouponIn(1, 1, "item", item_mode="free", include_category_ids=frozenset({7}))
    priced = price_cart(cart(lines, member=member, coupons=(free,), coupon_selection=(1,)))
    assert [line.coupon_discount_fen for line in priced.lines] == [0, 4500, 0]  # 5000 at 9折, one unit free
    half = CouponIn(2, 2, "item", item_mode="percent", percent=50, include_category_ids=frozenset({7}))
    priced = price_cart(cart(lines, member=member, coupons=(half,), coupon_selection=(2,)))
    assert [line.coupon_discount_fen for line in priced.lines] == [0, 2250, 0]  # 新品半价
    at_price = CouponIn(3, 3, "item", item_mode="price", item_price_fen=1000, include_product_ids=frozenset({1}))
    priced = price_cart(cart(lines, member=member, coupons=(at_price,), coupon_selection=(3,)))
    assert [line.coupon_discount_fen for line in priced.lines] == [1700, 0, 0]  # one of two at ¥10 (was ¥27)


def test_scope_by_category_and_group_with_exclusions():
    member = MemberIn()
    lines = [LineIn(1, 1, 1000, category_id=1, group_ids=frozenset({5})), LineIn(2, 1, 2000, category_id=2),
             LineIn(3, 1, 4000, category_id=1, group_ids=frozenset({6}))]
    by_category = CouponIn(1, 1, "percent_off", percent=50, include_category_ids=frozenset({1}),
                           exclude_group_ids=frozenset({6}))
    priced = price_cart(cart(lines, member=member, coupons=(by_category,), coupon_selection=(1,)))
    assert [line.coupon_discount_fen for line in priced.lines] == [500, 0, 0]  # 反选: group 6 left out
    by_group = CouponIn(2, 2, "amount_off", amount_fen=3000, include_group_ids=frozenset({5, 6}),
                        exclude_product_ids=frozenset({1}))
    priced = price_cart(cart(lines, member=member, coupons=(by_group,), coupon_selection=(2,)))
    assert [line.coupon_discount_fen for line in priced.lines] == [0, 0, 3000]


def test_stacking_groups_and_channels():
    member = MemberIn()
    coupons = (CouponIn(1, 1, "amount_off", amount_fen=300, stackable=True, stack_group="节日"),
               CouponIn(2, 2, "amount_off", amount_fen=300, stackable=True, stack_group="节日"),
               CouponIn(3, 3, "amount_off", amount_fen=500, stackable=True, stack_group="会员"),
               CouponIn(4, 4, "voucher", amount_fen=5000, at_counter=False))
    lines = [LineIn(1, 1, 10000)]
    priced = price_cart(cart(lines, member=member, coupons=coupons, coupon_selection="auto"))
    assert priced.coupons_applied == (1, 2)  # 600 in one group beats 500 in the other; the voucher is online only
    assert {c.coupon_id: c.reason for c in priced.coupon_checks}[4] == "not_at_counter"
    with pytest.raises(InvalidInput) as refused:
        price_cart(cart(lines, member=member, coupons=coupons, coupon_selection=(1, 3)))
    assert refused.value.code == "coupons_not_combinable"


def test_rule_4_points_multiple_balance_and_cap():
    member = MemberIn(points_balance=5000)
    lines = [LineIn(1, 1, 6800), LineIn(2, 1, 10000)]
    priced = price_cart(cart(lines, member=member, points=3000))
    assert (priced.points_used, priced.points_discount_fen, priced.payable_fen) == (3000, 3000, 13800)
    assert sum(line.points_used for line in priced.lines) == 3000
    with pytest.raises(InvalidInput) as not_multiple:
        price_cart(cart(lines, member=member, points=150))
    assert not_multiple.value.code == "points_not_multiple"
    with pytest.raises(Conflict) as too_many:
        price_cart(cart(lines, member=member, points=5100))
    assert too_many.value.code == "insufficient_points"
    with pytest.raises(InvalidInput) as over_cap:
        price_cart(cart(lines, member=MemberIn(points_balance=99999), points=8500))
    assert over_cap.value.code == "points_over_limit" and over_cap.value.detail["max_points"] == 8400
    with pytest.raises(InvalidInput):
        price_cart(cart(lines, points=100))  # walk-ins have no points


def test_rule_5_payments_must_add_up_and_cash_gives_change():
    lines = [LineIn(1, 1, 10000)]
    priced = price_cart(cart(lines, payments=(PaymentIn("cash", 4000, tendered_fen=5000),
                                              PaymentIn("wechat", 6000))))
    assert priced.change_fen == 1000
    for payments, code in [((PaymentIn("cash", 9999),), "payment_mismatch"),
                           ((PaymentIn("bitcoin", 10000),), "invalid_payment_method"),
                           ((PaymentIn("wechat", 10000, tendered_fen=20000),), "tendered_only_cash"),
                           ((PaymentIn("cash", 10000, tendered_fen=5000),), "tendered_too_little"),
                           ((PaymentIn("cash", 5000), PaymentIn("cash", 5000)), "duplicate_payment_method"),
                           ((PaymentIn("cash", 0), PaymentIn("wechat", 10000)), "invalid_amount")]:
        with pytest.raises(InvalidInput) as refused:
            price_cart(cart(lines, payments=payments))
        assert refused.value.code == code


def test_rule_7_points_earned_with_level_and_points_day_multipliers():
    member = MemberIn(points_multiplier_pct=150)
    priced = price_cart(cart([LineIn(1, 1, 12345)], member=member, points_day_multiplier_pct=200,
                             rule=PointsRuleIn(points_per_yuan=2)))
    assert priced.points_earned == 12345 * 2 * 150 * 200 // 1_000_000  # 740


@pytest.mark.parametrize("qty", [0, -1, 10000, 1.5])
def test_bad_quantities(qty):
    with pytest.raises(InvalidInput):
        price_cart(cart([LineIn(1, qty, 100)]))


# --- properties --------------------------------------------------------------------------------
line_strategy = st.builds(
    LineIn, product_id=st.integers(1, 6), qty=st.integers(1, 20), unit_price_fen=st.integers(0, 50000),
    member_price_fen=st.none() | st.integers(0, 50000), level_discount=st.booleans(),
    category_id=st.none() | st.integers(1, 3), group_ids=st.frozensets(st.integers(1, 3), max_size=2),
)
id_sets = st.none() | st.frozensets(st.integers(1, 6), min_size=1)


@st.composite
def carts(draw):
    lines = draw(st.lists(line_strategy, min_size=1, max_size=6))
    member = draw(st.none() | st.builds(MemberIn, discount_pct=st.integers(50, 100),
                                        points_multiplier_pct=st.integers(0, 300), points_balance=st.just(10**7)))
    coupons = ()
    if member is not None:
        coupons = tuple(draw(st.lists(st.builds(
            CouponIn, coupon_id=st.integers(1, 10**6), template_id=st.integers(1, 4),
            kind=st.sampled_from(["amount_off", "voucher", "percent_off", "item"]), amount_fen=st.integers(1, 30000),
            percent=st.integers(1, 99), max_discount_fen=st.none() | st.integers(1, 20000),
            min_spend_fen=st.integers(0, 50000), stackable=st.booleans(), stack_group=st.sampled_from(["", "a"]),
            item_mode=st.sampled_from(["free", "price", "percent"]), item_price_fen=st.none() | st.integers(0, 9000),
            include_product_ids=id_sets, include_category_ids=st.none() | st.frozensets(st.integers(1, 3)),
            include_group_ids=st.none() | st.frozensets(st.integers(1, 3)),
            exclude_product_ids=st.frozensets(st.integers(1, 6), max_size=2),
            exclude_group_ids=st.frozensets(st.integers(1, 3), max_size=1)),
            max_size=8, unique_by=lambda c: c.coupon_id)))
    rule = PointsRuleIn(points_per_yuan=draw(st.integers(0, 5)), redeem_points=draw(st.sampled_from([1, 10, 100])),
                        redeem_fen=draw(st.sampled_from([1, 50, 100])), max_redeem_pct=draw(st.integers(0, 100)))
    base = CartIn(store_id=1, lines=tuple(lines), now=NOW, rule=rule, member=member, coupons=coupons,
                  coupon_selection="auto" if coupons else ())
    points = 0
    if member is not None and draw(st.booleans()):
        after = price_cart(base).payable_fen
        units = min(after * rule.max_redeem_pct // 100 // rule.redeem_fen, member.points_balance // rule.redeem_points)
        points = draw(st.integers(0, units)) * rule.redeem_points
    return CartIn(**{**base.__dict__, "points": points})


@settings(max_examples=300, deadline=None)
@given(carts())
def test_lines_add_up_to_the_order_and_never_go_below_zero(cart_in):
    priced = price_cart(cart_in)
    lines = priced.lines
    assert all(line.payable_fen >= 0 for line in lines)
    assert sum(line.payable_fen for line in lines) == priced.payable_fen
    assert sum(line.member_discount_fen for line in lines) == priced.member_discount_fen
    assert sum(line.coupon_discount_fen for line in lines) == priced.coupon_discount_fen
    assert sum(line.points_discount_fen for line in lines) == priced.points_discount_fen
    assert sum(line.points_used for line in lines) == priced.points_used
    assert sum(line.points_earned for line in lines) == priced.points_earned
    assert priced.payable_fen == (priced.subtotal_fen - priced.member_discount_fen - priced.coupon_discount_fen
                                  - priced.points_discount_fen)
    for line in lines:
        assert line.line_price_fen == line.payable_fen + line.coupon_discount_fen + line.points_discount_fen


@st.composite
def paid_carts(draw):
    cart_in = draw(carts())
    payable = price_cart(cart_in).payable_fen
    methods = draw(st.lists(st.sampled_from(["stored_value", "cash", "wechat", "alipay", "card"]), min_size=1,
                            max_size=4, unique=True))
    if payable == 0:
        return CartIn(**{**cart_in.__dict__, "payments": ()})
    cuts = sorted(draw(st.lists(st.integers(1, max(payable - 1, 1)), min_size=len(methods) - 1,
                                max_size=len(methods) - 1, unique=True))) if payable >= len(methods) else []
    methods = methods[:len(cuts) + 1]
    bounds = [0, *cuts, payable]
    payments = tuple(PaymentIn(m, bounds[i + 1] - bounds[i]) for i, m in enumerate(methods))
    return CartIn(**{**cart_in.__dict__, "payments": payments})


@settings(max_examples=300, deadline=None)
@given(paid_carts(), st.randoms(use_true_random=False), st.integers(0, 10**6), st.integers(0, 10**6))
def test_refunding_everything_in_any_order_and_split_returns_exactly_what_was_paid(cart_in, rnd, principal, bonus):
    priced = price_cart(cart_in)
    assert sum(p.amount_fen for p in priced.payments) == priced.payable_fen
    # stored value was split into principal and bonus by rule 6
    sv = next((p.amount_fen for p in priced.payments if p.method == "stored_value"), 0)
    total_balance = max(principal + bonus, sv)
    bonus = min(bonus, total_balance)
    principal = total_balance - bonus
    bonus_part = div_half_up(sv * bonus, total_balance) if total_balance else 0
    sv_parts = [sv - bonus_part, bonus_part]
    # refund the units in random order and random chunks
    units = [(i, q) for i, line in enumerate(priced.lines) for q in range(line.qty)]
    rnd.shuffle(units)
    left_qty = [line.qty for line in priced.lines]
    left_pay = [line.payable_fen for line in priced.lines]
    left_used = [line.points_used for line in priced.lines]
    left_earned = [line.points_earned for line in priced.lines]
    left_methods = [p.amount_fen for p in priced.payments]
    left_sv = list(sv_parts)
    back = {"pay": 0, "used": 0, "earned": 0, "methods": [0] * len(left_methods), "sv": [0, 0]}
    while units:
        chunk = units[:rnd.randint(1, len(units))]
        units = units[len(chunk):]
        amount = 0
        for index in {i for i, _q in chunk}:
            qty = sum(1 for i, _q in chunk if i == index)
            pay = share_of(left_pay[index], left_qty[index], qty)
            used = share_of(left_used[index], left_qty[index], qty)
            earned = share_of(left_earned[index], left_qty[index], qty)
            left_pay[index] -= pay
            left_used[index] -= used
            left_earned[index] -= earned
            left_qty[index] -= qty
            amount += pay
            back["used"] += used
            back["earned"] += earned
        parts = split_by_remaining(amount, left_methods)
        for k, part in enumerate(parts):
            assert 0 <= part <= left_methods[k]
            left_methods[k] -= part
            back["methods"][k] += part
            if priced.payments[k].method == "stored_value":
                sv_back = split_by_remaining(part, left_sv)
                left_sv = [a - b for a, b in zip(left_sv, sv_back, strict=True)]
                back["sv"] = [a + b for a, b in zip(back["sv"], sv_back, strict=True)]
        back["pay"] += amount
    assert back["pay"] == priced.payable_fen
    assert back["methods"] == [p.amount_fen for p in priced.payments]
    assert back["sv"] == sv_parts
    assert back["used"] == priced.points_used
    assert back["earned"] == priced.points_earned


def test_share_and_split_edges():
    assert [share_of(100, 3, 1), share_of(67, 2, 1), share_of(33, 1, 1)] == [33, 34, 33]
    assert split_by_remaining(0, [5, 5]) == [0, 0]
    with pytest.raises(ValueError):
        split_by_remaining(11, [5, 5])
    with pytest.raises(ValueError):
        share_of(10, 2, 3)


@st.composite
def wallets_of_coupons(draw):
    """A member's coupons as issued from a few templates (coupons of one template differ only in expiry)."""
    templates = draw(st.lists(st.fixed_dictionaries({
        "kind": st.sampled_from(["amount_off", "voucher", "percent_off", "item"]), "amount_fen": st.integers(1, 8000),
        "percent": st.integers(1, 99), "min_spend_fen": st.integers(0, 20000), "stackable": st.booleans(),
        "stack_group": st.sampled_from(["", "a"]), "item_mode": st.sampled_from(["free", "price", "percent"]),
        "include_product_ids": id_sets}), min_size=1, max_size=4))
    coupons = []
    for coupon_id in range(1, draw(st.integers(1, 7)) + 1):
        template_id = draw(st.integers(0, len(templates) - 1))
        coupons.append(CouponIn(coupon_id, template_id, **templates[template_id],
                                valid_until=NOW + timedelta(days=draw(st.integers(1, 30)))))
    return tuple(coupons)


@settings(max_examples=300, deadline=None)
@given(st.lists(line_strategy, min_size=1, max_size=4), wallets_of_coupons())
def test_auto_finds_the_largest_discount_of_every_allowed_combination(lines, coupons):
    from itertools import combinations

    from mendian.promotions.engine import combinable

    member = MemberIn()
    best = price_cart(cart(lines, member=member, coupons=coupons, coupon_selection="auto"))
    usable = [c for c in best.coupon_checks if c.usable]
    for size in range(1, len(usable) + 1):
        for ids in combinations(sorted(c.coupon_id for c in usable), size):
            chosen = [c for c in coupons if c.coupon_id in ids]
            if not combinable(chosen):
                continue
            other = price_cart(cart(lines, member=member, coupons=coupons, coupon_selection=ids))
            assert best.coupon_discount_fen >= other.coupon_discount_fen
