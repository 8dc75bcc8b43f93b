import re
import uuid

import pytest
from django.core.management import call_command
from django.db.models import Sum

from mendian.catalog.models import StockEntry, StockLevel, StoreProduct
from mendian.core.testing.api import error_code
from mendian.loyalty.models import Level, LoyaltyAccount, PointsEntry, PointsRule
from mendian.loyalty.services import points_change
from mendian.members.codes import member_code
from mendian.members.models import Member
from mendian.members.testing import make_member
from mendian.pos.models import Order, OrderLine, Payment, Refund
from mendian.pos.testing import make_product
from mendian.tenancy.models import AuditEntry
from mendian.wallet.models import RechargePlan, WalletAccount
from mendian.wallet.services import wallet_recharge


@pytest.fixture
def shop(world):
    Level.objects.create(merchant=world.merchant, name="普通", rank=0, discount_pct=100)
    gold = Level.objects.create(merchant=world.merchant, name="金卡", rank=1, discount_pct=90,
                                points_multiplier_pct=150, threshold=10_000_000)
    PointsRule.objects.create(merchant=world.merchant, points_per_yuan=1, redeem_points=100, redeem_fen=100,
                              max_redeem_pct=50)
    world.goods = make_product(world, name="洗发水", price_fen=10000, cost_fen=4000, track_stock=True)
    world.service = make_product(world, name="洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    world.cheap = make_product(world, name="发圈", price_fen=333)
    world.gold = gold
    return world


def funded_member(world, pay=30000, bonus=15000):
    member = make_member(world)
    plan = RechargePlan.objects.create(merchant=world.merchant, name=f"充{pay}", pay_fen=pay, bonus_fen=bonus)
    wallet_recharge(access=world.access(), member=member, store=world.stores[0], pay_fen=pay, plan=plan,
                    payment_method="cash")
    return member


def body(world, member=None, lines=None, **extra):
    data = {"store_id": world.stores[0].pk,
            "lines": lines or [{"product_id": world.service.pk, "qty": 1}, {"product_id": world.goods.pk, "qty": 1}]}
    if member is not None:
        data["member_id"] = member.pk
    return {**data, **extra}


def stock(world, product, qty):
    from mendian.catalog.services import stock_receive

    stock_receive(access=world.access(), store=world.stores[0], product=product, quantity=qty)


def test_quote_changes_nothing_and_applies_rules_1_and_2(shop):
    StoreProduct.objects.create(merchant=shop.merchant, store=shop.stores[0], product=shop.cheap, price_fen=300)
    member = make_member(shop)
    LoyaltyAccount.objects.filter(member=member).update(level=shop.gold)
    client = shop.api()
    quote = client.post("/orders/quote", body(shop, member, lines=[{"product_id": shop.service.pk, "qty": 1},
                                                                   {"product_id": shop.goods.pk, "qty": 2},
                                                                   {"product_id": shop.cheap.pk, "qty": 3}]))
    assert quote.status_code == 200, quote.data
    units = [(line["unit_price_fen"], line["member_unit_price_fen"]) for line in quote.data["lines"]]
    assert units == [(8800, 6800), (10000, 9000), (300, 270)]  # store price 300, gold 9折
    assert quote.data["subtotal_fen"] == 8800 + 20000 + 900
    assert quote.data["payable_fen"] == 6800 + 18000 + 810
    assert quote.data["points_earned"] == 25610 * 150 // 10000
    assert not Order.objects.exists() and not PointsEntry.objects.filter(reason="earn").exists()


def test_checkout_with_stored_value_points_and_cash_records_everything(shop):
    member = funded_member(shop)
    points_change(account=LoyaltyAccount.objects.get(member=member), member=member, delta=500, reason="import")
    stock(shop, shop.goods, 5)
    client = shop.api()
    key = str(uuid.uuid4())
    data = body(shop, member, points=300, payments=[{"method": "stored_value", "amount_fen": 10000},
                                                    {"method": "cash", "amount_fen": 6500, "tendered_fen": 10000}])
    response = client.post("/orders", data, key=key)
    assert response.status_code == 200, response.data
    order = response.data
    assert (order["payable_fen"], order["points_used"], order["points_discount_fen"]) == (16500, 300, 300)
    assert order["change_fen"] == 3500 and order["no"].startswith("S001-")
    assert sum(line["payable_fen"] for line in order["lines"]) == 16500
    wallet = WalletAccount.objects.get(member=member)
    assert (wallet.principal_fen, wallet.bonus_fen) == (30000 - 6667, 15000 - 3333)
    account = LoyaltyAccount.objects.get(member=member)
    assert account.points == 500 - 300 + 165
    member.refresh_from_db()
    assert (member.order_count, member.total_spent_fen) == (1, 16500) and member.last_visit_at is not None
    assert StockLevel.objects.get(store=shop.stores[0], product=shop.goods).quantity == 4
    assert AuditEntry.objects.filter(action="order.completed", target_id=order["id"]).exists()
    replay = client.post("/orders", data, key=key)
    assert replay.data == order and Order.objects.count() == 1
    call_command("check_ledgers")


def test_full_and_partial_refunds_give_back_exactly_what_was_paid(shop):
    member = funded_member(shop)
    client = shop.api()
    stock(shop, shop.goods, 10)
    data = body(shop, member, lines=[{"product_id": shop.goods.pk, "qty": 3}],
                payments=[{"method": "stored_value", "amount_fen": 20000}, {"method": "wechat", "amount_fen": 10000}])
    order = client.post("/orders", data, key=str(uuid.uuid4())).data
    earned = order["points_earned"]
    first = client.post(f"/orders/{order['id']}/refund", {"lines": [{"product_id": shop.goods.pk, "qty": 1}],
                                                          "reason": "破损"}, key=str(uuid.uuid4()))
    assert first.status_code == 200, first.data
    assert first.data["amount_fen"] == 10000 and first.data["order_status"] == "partly_refunded"
    assert {p["method"]: p["amount_fen"] for p in first.data["payments"]} == {"stored_value": 6667,
                                                                               "wechat": 3333}
    rest = client.post(f"/orders/{order['id']}/refund", {"reason": "退货"}, key=str(uuid.uuid4()))
    assert rest.data["amount_fen"] == 20000 and rest.data["order_status"] == "refunded"
    paid_back = Payment.objects.filter(order_id=order["id"]).aggregate(s=Sum("refunded_fen"))["s"]
    assert paid_back == 30000
    wallet = WalletAccount.objects.get(member=member)
    assert (wallet.principal_fen, wallet.bonus_fen) == (30000, 15000)
    assert LoyaltyAccount.objects.get(member=member).points == 0
    assert first.data["points_taken_back"] + rest.data["points_taken_back"] == earned
    member.refresh_from_db()
    assert (member.order_count, member.total_spent_fen) == (0, 0)
    assert StockLevel.objects.get(store=shop.stores[0], product=shop.goods).quantity == 10
    again = client.post(f"/orders/{order['id']}/refund", {"reason": "再退"}, key=str(uuid.uuid4()))
    assert again.status_code == 409 and error_code(again) == "already_refunded"
    call_command("check_ledgers")


def test_earned_points_already_spent_are_recorded_as_a_shortfall(shop):
    member = make_member(shop)
    stock(shop, shop.goods, 1)
    client = shop.api()
    order = client.post("/orders", body(shop, member, lines=[{"product_id": shop.goods.pk, "qty": 1}],
                                        payments=[{"method": "cash", "amount_fen": 10000}])).data
    client.post(f"/members/{member.pk}/points-adjustments", {"delta": -80, "note": "兑换礼品"})
    refund = client.post(f"/orders/{order['id']}/refund", {"reason": "退货"}).data
    assert (refund["points_taken_back"], refund["points_shortfall"]) == (20, 80)
    assert LoyaltyAccount.objects.get(member=member).points == 0


@pytest.mark.parametrize("change,status,code", [
    ({"lines": [{"product_id": 999999, "qty": 1}]}, 404, "product_not_found"),
    ({"lines": [{"product_id": "PRODUCT", "qty": 0}]}, 422, "validation_error"),
    ({"lines": [{"product_id": "PRODUCT", "qty": 0}]}, 422, "validation_error"),
    ({"lines": [{"product_id": "PRODUCT", "qty": -2}]}, 422, "validation_error"),
    ({"lines": [{"product_id": "PRODUCT", "qty": 100000}]}, 422, "validation_error"),
    ({"lines": []}, 422, "validation_error"),
    ({"store_id": 999999}, 404, "store_not_found"),
    ({"member_id": 999999}, 404, "member_not_found"),
    ({"payments": [{"method": "cash", "amount_fen": 1}]}, 422, "payment_mismatch"),
    ({"payments": [{"method": "bitcoin", "amount_fen": 10000}]}, 422, "validation_error"),
    ({"payments": [{"method": "cash", "amount_fen": 10000, "tendered_fen": 100}]}, 422, "tendered_too_little"),
    ({"payments": [{"method": "stored_value", "amount_fen": 10000}]}, 422, "stored_value_needs_member"),
    ({"points": 100}, 422, "points_need_member"),
    ({"coupon_ids": [1]}, 404, "coupon_not_found"),
    ({}, 422, "payments_required"),
])
def test_bad_checkouts_write_nothing(shop, change, status, code):
    data = {"store_id": shop.stores[0].pk, "lines": [{"product_id": shop.goods.pk, "qty": 1}],
            "payments": [{"method": "cash", "amount_fen": 10000}], **change}
    if not change:
        data.pop("payments")
    for line in data.get("lines", []):
        if line["product_id"] == "PRODUCT":
            line["product_id"] = shop.goods.pk
    client = shop.api()
    before = (Order.objects.count(), OrderLine.objects.count(), Payment.objects.count(), StockEntry.objects.count(),
              AuditEntry.objects.count())
    response = client.post("/orders", data, key=str(uuid.uuid4()))
    assert (response.status_code, error_code(response)) == (status, code), response.data
    assert (Order.objects.count(), OrderLine.objects.count(), Payment.objects.count(), StockEntry.objects.count(),
            AuditEntry.objects.count()) == before


def test_member_money_refusals(shop):
    member = funded_member(shop, pay=1000, bonus=0)
    client = shop.api()
    short = client.post("/orders", body(shop, member, lines=[{"product_id": shop.goods.pk, "qty": 1}],
                                        payments=[{"method": "stored_value", "amount_fen": 10000}]))
    assert short.status_code == 409 and error_code(short) == "insufficient_balance"
    assert WalletAccount.objects.get(member=member).principal_fen == 1000
    assert not Order.objects.exists()
    for points, status, code in [(150, 422, "points_not_multiple"), (100, 409, "insufficient_points")]:
        response = client.post("/orders/quote", body(shop, member, points=points))
        assert (response.status_code, error_code(response)) == (status, code)


def test_inactive_or_unsold_products_and_stock(shop):
    client = shop.api()
    shop.cheap.is_active = False
    shop.cheap.save()
    off = client.post("/orders/quote", body(shop, lines=[{"product_id": shop.cheap.pk, "qty": 1}]))
    assert error_code(off) == "product_inactive"
    StoreProduct.objects.create(merchant=shop.merchant, store=shop.stores[0], product=shop.service,
                                is_available=False)
    assert error_code(client.post("/orders/quote", body(shop))) == "product_not_sold_here"
    no_stock = client.post("/orders", body(shop, lines=[{"product_id": shop.goods.pk, "qty": 2}],
                                           payments=[{"method": "cash", "amount_fen": 20000}]))
    assert no_stock.status_code == 409 and error_code(no_stock) == "insufficient_stock"
    assert not Order.objects.exists()


def test_refund_bad_input(shop):
    client = shop.api()
    order = client.post("/orders", body(shop, lines=[{"product_id": shop.service.pk, "qty": 2}],
                                        payments=[{"method": "cash", "amount_fen": 17600}])).data
    over = client.post(f"/orders/{order['id']}/refund", {"lines": [{"product_id": shop.service.pk, "qty": 3}],
                                                         "reason": "x"})
    assert over.status_code == 409 and error_code(over) == "refund_exceeds_sold"
    other = client.post(f"/orders/{order['id']}/refund", {"lines": [{"product_id": shop.goods.pk, "qty": 1}],
                                                          "reason": "x"})
    assert error_code(other) == "product_not_in_order"
    assert client.post(f"/orders/{order['id']}/refund", {"reason": ""}).status_code == 422
    assert not Refund.objects.exists()
    cashier = shop.api(shop.staff("cashier"))
    assert cashier.post(f"/orders/{order['id']}/refund", {"reason": "x"}).status_code == 403
    other_manager = shop.api(shop.staff("store_manager", stores=[shop.stores[1]]))
    assert other_manager.post(f"/orders/{order['id']}/refund", {"reason": "x"}).status_code == 404


def test_member_verification_where_the_store_asks_for_it(shop):
    from mendian.core.messaging import MemoryBackend

    store = shop.stores[0]
    store.verify_member_payments = True
    store.save()
    member = funded_member(shop)
    client = shop.api()
    data = body(shop, member, lines=[{"product_id": shop.cheap.pk, "qty": 1}],
                payments=[{"method": "stored_value", "amount_fen": 333}])
    missing = client.post("/orders", data)
    assert error_code(missing) == "member_verification_required"
    wrong = client.post("/orders", {**data, "verification": {"member_code": "91234567890123456"}})
    assert error_code(wrong) == "member_verification_failed"
    code = member_code(card_no=member.card_no, secret=member.code_secret)
    with_code = client.post("/orders", {**data, "verification": {"member_code": code}})
    assert with_code.status_code == 200, with_code.data
    MemoryBackend.outbox.clear()
    assert client.post(f"/members/{member.pk}/payment-code").status_code == 204
    otp = re.search(r"(?<!\d)(\d{6})(?!\d)", MemoryBackend.outbox[-1].text).group(1)
    assert client.post("/orders", {**data, "verification": {"otp": otp}}).status_code == 200
    cash = body(shop, member, lines=[{"product_id": shop.cheap.pk, "qty": 1}],
                payments=[{"method": "cash", "amount_fen": 333}])
    assert client.post("/orders", cash).status_code == 200  # cash needs no confirmation


def test_consume_and_become_member(shop):
    client = shop.api()
    data = body(shop, lines=[{"product_id": shop.cheap.pk, "qty": 1}],
                payments=[{"method": "cash", "amount_fen": 333}], member_phone="13911223344")
    off = client.post("/orders", data)
    assert error_code(off) == "checkout_registration_off" and not Member.objects.exists()
    shop.merchant.checkout_registers_members = True
    shop.merchant.save()
    client = shop.api()
    order = client.post("/orders", data)
    assert order.status_code == 200
    member = Member.objects.get(phone="13911223344")
    assert member.source_channel == "checkout" and order.data["member_id"] == member.pk
    assert order.data["points_earned"] == 3
    again = client.post("/orders", data)
    assert again.data["member_id"] == member.pk and Member.objects.count() == 1


def test_external_payment_declined_writes_nothing(shop, settings):
    settings.SIMULATED_PAYMENT_DECLINE_FEN = 10000
    response = shop.api().post("/orders", body(shop, lines=[{"product_id": shop.goods.pk, "qty": 1}],
                                                payments=[{"method": "alipay", "amount_fen": 10000}]))
    assert response.status_code == 422 and error_code(response) == "payment_declined"
    assert not Order.objects.exists()


def test_orders_are_numbered_per_store_and_day_and_listed_by_store(shop):
    client = shop.api()
    numbers = []
    for store in shop.stores:
        for _ in range(2):
            response = client.post("/orders", {"store_id": store.pk, "lines": [{"product_id": shop.cheap.pk, "qty": 1}],
                                               "payments": [{"method": "cash", "amount_fen": 333}]})
            numbers.append(response.data["no"])
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0001", "0002"]
    assert numbers[0].split("-")[0] == "S001" and numbers[2].split("-")[0] == "S002"
    manager = shop.api(shop.staff("store_manager", stores=[shop.stores[0]]))
    assert {o["store_id"] for o in manager.get("/orders").data["items"]} == {shop.stores[0].pk}


def test_held_carts(shop):
    client = shop.api()
    held = client.post("/held-orders", {"store_id": shop.stores[0].pk, "lines": [{"product_id": shop.goods.pk,
                                                                                  "qty": 2}], "note": "等朋友"})
    assert held.status_code == 201
    assert [h["note"] for h in client.get(f"/held-orders?store_id={shop.stores[0].pk}").data] == ["等朋友"]
    resumed = client.post(f"/held-orders/{held.data['id']}/resume")
    assert resumed.data["cart"]["lines"] == [{"product_id": shop.goods.pk, "qty": 2}]
    again = client.post(f"/held-orders/{held.data['id']}/resume")
    assert again.status_code == 404
    assert client.post("/held-orders", {"store_id": shop.stores[0].pk, "lines": []}).status_code == 422


def test_a_warm_checkout_takes_at_most_15_statements(shop):
    """The benchmark's sale (level discount, three lines, points redeemed, stored value and cash) writes
    everything in 15 statements once the token and the settings are cached."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = funded_member(shop, pay=100000, bonus=50000)
    points_change(account=LoyaltyAccount.objects.get(member=member), member=member, delta=5000, reason="import")
    LoyaltyAccount.objects.filter(member=member).update(level=shop.gold)
    stock(shop, shop.goods, 50)
    client = shop.api()
    data = body(shop, member, lines=[{"product_id": shop.service.pk, "qty": 1}, {"product_id": shop.goods.pk, "qty": 1},
                                     {"product_id": shop.cheap.pk, "qty": 2}], points=300)
    payable = client.post("/orders/quote", data).data["payable_fen"]
    data["payments"] = [{"method": "stored_value", "amount_fen": 10000},
                        {"method": "cash", "amount_fen": payable - 10000, "tendered_fen": 20000}]
    assert client.post("/orders", data, key=str(uuid.uuid4())).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/orders", data, key=str(uuid.uuid4()))
    assert response.status_code == 200, response.data
    statements = [q["sql"] for q in captured.captured_queries
                  if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) <= 15, "\n".join(s[:120] for s in statements)
    assert Order.objects.filter(member=member).count() == 2
    call_command("check_ledgers")
