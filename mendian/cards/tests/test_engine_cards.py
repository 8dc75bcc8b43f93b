"""The pricing engine with a line paid by a member card: pure data in, pure data out."""

from datetime import UTC, datetime

from mendian.promotions.engine import CartIn, CouponIn, LineIn, MemberIn, PaymentIn, PointsRuleIn, price_cart

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def cart(**extra):
    lines = (LineIn(product_id=1, qty=2, unit_price_fen=8800, member_price_fen=6800, member_card_id=50,
                    promo_unit_price_fen=5000, promotion_id=9, cost_fen=3000),
             LineIn(product_id=2, qty=1, unit_price_fen=10000))
    return CartIn(store_id=1, lines=lines, now=NOW, member=MemberIn(discount_pct=90, points_balance=1000),
                  rule=PointsRuleIn(points_per_yuan=1, redeem_points=100, redeem_fen=100, max_redeem_pct=50), **extra)


def test_a_line_paid_by_a_card_costs_nothing_and_takes_no_coupon_points_or_promotion():
    coupon = CouponIn(coupon_id=7, template_id=3, kind="percent_off", percent=80)
    priced = price_cart(cart(coupons=(coupon,), coupon_selection=(7,), points=1000,
                             payments=(PaymentIn("cash", 6200),)))
    card_line, goods = priced.lines
    # the card line: its member price is what the card covered; no promotion spends on it
    assert (card_line.line_price_fen, card_line.card_discount_fen, card_line.payable_fen) == (13600, 13600, 0)
    assert (card_line.coupon_discount_fen, card_line.points_discount_fen, card_line.points_earned) == (0, 0, 0)
    assert (card_line.promotion_id, card_line.promotion_discount_fen, card_line.member_card_id) == (None, 0, 50)
    # the coupon and the points fall on the other line only: 9000 − 1800 (8折) − 1000 (1000 points)
    assert (goods.coupon_discount_fen, goods.points_discount_fen, goods.payable_fen) == (1800, 1000, 6200)
    assert priced.card_discount_fen == 13600 and priced.payable_fen == 6200
    assert priced.subtotal_fen - priced.member_discount_fen - priced.card_discount_fen \
        - priced.coupon_discount_fen - priced.points_discount_fen == priced.payable_fen
    assert priced.points_earned == 62 and priced.warnings == ()


def test_a_cart_wholly_paid_by_cards_pays_nothing():
    lines = (LineIn(product_id=1, qty=1, unit_price_fen=8800, member_card_id=5),)
    priced = price_cart(CartIn(store_id=1, lines=lines, now=NOW, member=MemberIn(), payments=()))
    assert (priced.payable_fen, priced.card_discount_fen, priced.payments) == (0, 8800, ())
