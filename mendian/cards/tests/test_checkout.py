"""Cards in the checkout: a service line paid by a card costs nothing and uses the card in the order's
transaction; a card sold as a cart line; refunds give uses back and pay back a card's unused value."""

import uuid
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from mendian.cards.models import CardBalance, CardUse, MemberCard
from mendian.core.testing.api import error_code
from mendian.loyalty.models import Level, LoyaltyAccount, PointsRule
from mendian.members.testing import make_member
from mendian.pos.models import Order, OrderLine

from .factories import make_template, sell


def key():
    return str(uuid.uuid4())


def order_body(shop, card, member=None, **extra):
    return {"store_id": shop.stores[0].pk, "member_id": (member or shop.member).pk,
            "lines": [{"product_id": shop.cut.pk, "qty": 1, "member_card_id": card.pk},
                      {"product_id": shop.goods.pk, "qty": 2}], **extra}


def test_a_service_line_paid_by_a_card_costs_nothing_and_uses_the_card(shop):
    # given: a gold member (9折) with a punch card, points earned on what is paid
    PointsRule.objects.create(merchant=shop.merchant, points_per_yuan=1, redeem_points=100, redeem_fen=100)
    gold = Level.objects.create(merchant=shop.merchant, name="金卡", rank=1, discount_pct=90)
    LoyaltyAccount.objects.filter(member=shop.member).update(level=gold)
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    client = shop.api()
    # when: quoted, then sold
    quote = client.post("/orders/quote", order_body(shop, card))
    assert quote.status_code == 200, quote.data
    cut_line, goods_line = quote.data["lines"]
    assert (cut_line["member_card_id"], cut_line["line_price_fen"], cut_line["card_discount_fen"],
            cut_line["payable_fen"], cut_line["points_earned"]) == (card.pk, 6800, 6800, 0, 0)
    assert goods_line["payable_fen"] == 18000
    assert quote.data["card_discount_fen"] == 6800 and quote.data["payable_fen"] == 18000
    assert quote.data["subtotal_fen"] == 8800 + 20000 and quote.data["member_discount_fen"] == 2000 + 2000
    assert CardBalance.objects.get(card=card).uses_left == 5  # a quote changes nothing
    order = client.post("/orders", order_body(shop, card, payments=[{"method": "cash", "amount_fen": 18000}]),
                        key=key())
    # then
    assert order.status_code == 200, order.data
    assert order.data["payable_fen"] == 18000 and order.data["card_discount_fen"] == 6800
    assert order.data["points_earned"] == 180
    line = OrderLine.objects.get(order_id=order.data["id"], product=shop.cut)
    assert (line.payable_fen, line.card_discount_fen, line.member_card_id) == (0, 6800, card.pk)
    use = CardUse.objects.get(pk=line.card_use_id)
    assert (use.kind, use.qty, use.ref_type, use.ref_id, use.store_id) == ("use", 1, "order", order.data["id"],
                                                                         shop.stores[0].pk)
    assert CardBalance.objects.get(card=card).uses_left == 4
    call_command("check_ledgers")


def test_a_cart_paid_only_by_a_card_needs_no_payment(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    body = {"store_id": shop.stores[0].pk, "member_id": shop.member.pk,
            "lines": [{"product_id": shop.cut.pk, "qty": 2, "member_card_id": card.pk}], "payments": []}
    order = shop.api().post("/orders", body, key=key())
    assert order.status_code == 200, order.data
    assert order.data["payable_fen"] == 0 and order.data["payments"] == []
    assert CardBalance.objects.get(card=card).uses_left == 3


def test_a_checkout_with_a_bad_card_changes_nothing(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 1)], store_ids=[shop.stores[0].pk]), shop.member)
    stranger = make_member(shop)
    client = shop.api()
    orders, entries = Order.objects.count(), CardUse.objects.count()
    pay = [{"method": "cash", "amount_fen": 20000}]
    cases = [
        (order_body(shop, card, member=stranger, payments=pay), 404, "card_not_found"),
        ({**order_body(shop, card, payments=pay), "store_id": shop.stores[1].pk}, 422, "card_not_valid_here"),
        ({**order_body(shop, card, payments=pay), "lines": [{"product_id": shop.care.pk, "qty": 1,
                                                             "member_card_id": card.pk}]}, 422, "product_not_on_card"),
        ({**order_body(shop, card, payments=pay), "lines": [{"product_id": shop.cut.pk, "qty": 2,
                                                             "member_card_id": card.pk}]}, 409, "card_exhausted"),
        ({**order_body(shop, card, payments=pay), "member_id": None}, 404, "card_not_found"),
    ]
    for body, status, code in cases:
        for path in ("/orders/quote", "/orders"):
            response = client.post(path, body, key=key())
            assert (response.status_code, error_code(response)) == (status, code), (path, body, response.data)
    assert Order.objects.count() == orders and CardUse.objects.count() == entries
    assert CardBalance.objects.get(card=card).uses_left == 1


def test_refunding_a_line_paid_by_a_card_gives_the_use_back(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    client = shop.api()
    body = {"store_id": shop.stores[0].pk, "member_id": shop.member.pk,
            "lines": [{"product_id": shop.cut.pk, "qty": 2, "member_card_id": card.pk},
                      {"product_id": shop.goods.pk, "qty": 1}], "payments": [{"method": "cash", "amount_fen": 10000}]}
    order = client.post("/orders", body, key=key()).data
    assert CardBalance.objects.get(card=card).uses_left == 3
    partial = client.post(f"/orders/{order['id']}/refund", {"lines": [{"product_id": shop.cut.pk, "qty": 1}],
                                                            "reason": "少做一次"}, key=key())
    assert partial.status_code == 200, partial.data
    assert partial.data["amount_fen"] == 0 and CardBalance.objects.get(card=card).uses_left == 4
    rest = client.post(f"/orders/{order['id']}/refund", {"reason": "顾客不满意"}, key=key())
    assert rest.data["amount_fen"] == 10000 and CardBalance.objects.get(card=card).uses_left == 5
    backs = CardUse.objects.filter(card=card, kind="reverse").order_by("id")
    assert [(b.qty, b.ref_type) for b in backs] == [(1, "refund"), (1, "refund")]
    call_command("check_ledgers")


def test_a_card_sold_as_a_cart_line_needs_the_member_and_is_issued_with_the_order(shop):
    template = make_template(shop, price_fen=50000, items=[(shop.cut, 10)])
    client = shop.api()
    lines = [{"product_id": template.product_id, "qty": 2}, {"product_id": shop.goods.pk, "qty": 1}]
    anonymous = client.post("/orders/quote", {"store_id": shop.stores[0].pk, "lines": lines})
    assert (anonymous.status_code, error_code(anonymous)) == (422, "card_needs_member")
    order = client.post("/orders", {"store_id": shop.stores[0].pk, "member_id": shop.member.pk, "lines": lines,
                                    "payments": [{"method": "wechat", "amount_fen": 110000}]}, key=key())
    assert order.status_code == 200, order.data
    cards = list(MemberCard.objects.filter(order_id=order.data["id"]).order_by("id"))
    assert [(c.member_id, c.paid_fen, c.template_id) for c in cards] == [(shop.member.pk, 50000, template.pk)] * 2


def test_refunding_a_punch_card_pays_back_its_unused_uses_pro_rata(shop):
    card = sell(shop, make_template(shop, price_fen=60000, items=[(shop.cut, 10)]), shop.member)
    from mendian.cards.services import card_use

    card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk, qty=3)
    client = shop.api()
    assert client.get(f"/member-cards/{card.pk}").data["refund_value_fen"] == 42000
    refund = client.post(f"/orders/{card.order_id}/refund", {"reason": "搬家"}, key=key())
    assert refund.status_code == 200, refund.data
    assert refund.data["amount_fen"] == 42000 and refund.data["payments"][0]["amount_fen"] == 42000
    card.refresh_from_db()
    assert (card.status, card.refunded_fen) == ("refunded", 42000)
    balance = CardBalance.objects.get(card=card)
    assert (balance.uses_left, balance.used) == (0, 3)
    used = client.post(f"/member-cards/{card.pk}/use", {"product_id": shop.cut.pk, "store_id": shop.stores[0].pk},
                       key=key())
    assert (used.status_code, error_code(used)) == (409, "card_refunded")
    again = client.post(f"/orders/{card.order_id}/refund", {"reason": "again"}, key=key())
    assert (again.status_code, error_code(again)) == (409, "already_refunded")
    call_command("check_ledgers")


def test_a_combo_card_weighs_its_services_by_price(shop):
    # 5 cuts at 88 and 2 cares at 198: value units 5×8800 + 2×19800 = 83600; 1 cut and 1 care used
    template = make_template(shop, kind="combo", price_fen=70000, items=[(shop.cut, 5), (shop.care, 2)])
    card = sell(shop, template, shop.member)
    from mendian.cards.services import card_use

    for product in (shop.cut, shop.care):
        card_use(access=shop.access(), member_card_id=card.pk, product_id=product.pk, store_id=shop.stores[0].pk)
    left_value = 4 * 8800 + 1 * 19800
    expected = (70000 * left_value * 2 + 83600) // (2 * 83600)  # half-up
    refund = shop.api().post(f"/orders/{card.order_id}/refund", {"reason": "退卡"}, key=key())
    assert refund.data["amount_fen"] == expected == 46053


def test_refund_rules_unused_only_and_none(shop):
    from mendian.cards.services import card_use

    unused_only = make_template(shop, name="未用可退", price_fen=30000, refund_rule="unused_only")
    fresh, used = sell(shop, unused_only, shop.member), sell(shop, unused_only, shop.member)
    card_use(access=shop.access(), member_card_id=used.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk)
    never = sell(shop, make_template(shop, name="不退", price_fen=20000, refund_rule="none"), shop.member)
    client = shop.api()
    amounts = [client.post(f"/orders/{c.order_id}/refund", {"reason": "退"}, key=key()).data["amount_fen"]
               for c in (fresh, used, never)]
    assert amounts == [30000, 0, 0]
    assert set(MemberCard.objects.values_list("status", flat=True)) == {"refunded"}
    call_command("check_ledgers")


def test_a_period_card_refunds_the_time_left(shop):
    template = make_template(shop, kind="period", price_fen=30000, items=[(shop.cut, None)], valid_days=30)
    card = sell(shop, template, shop.member)
    from mendian.cards.services import card_use

    card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk)
    # ten days already gone
    MemberCard.objects.filter(pk=card.pk).update(valid_from=card.valid_from - timedelta(days=10),
                                                 valid_until=card.valid_until - timedelta(days=10))
    card.refresh_from_db()
    value = shop.api().post(f"/orders/{card.order_id}/refund", {"reason": "退"}, key=key()).data["amount_fen"]
    total = (card.valid_until - card.valid_from).total_seconds()
    left = (card.valid_until - timezone.now()).total_seconds()
    assert abs(value - 30000 * left / total) <= 1 and 19000 < value < 21000


def test_another_merchants_card_cannot_pay_a_line(shop, other_world):
    from mendian.pos.testing import make_product

    their_service = make_product(other_world, kind="service")
    theirs = sell(other_world, make_template(other_world, items=[(their_service, 5)]), make_member(other_world))
    body = {"store_id": shop.stores[0].pk, "member_id": shop.member.pk, "payments": [],
            "lines": [{"product_id": shop.cut.pk, "qty": 1, "member_card_id": theirs.pk}]}
    for path in ("/orders/quote", "/orders"):
        response = shop.api().post(path, body, key=key())
        assert (response.status_code, error_code(response)) == (404, "card_not_found")
    assert CardBalance.objects.get(card=theirs).uses_left == 5 and not Order.objects.filter(member=shop.member)
