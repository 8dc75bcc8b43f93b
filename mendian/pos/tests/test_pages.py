"""The counter's pages: shifts (交接班), receipts, the order list, order detail and the refund form."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mendian.core.pagination import paginate
from mendian.members.testing import make_member
from mendian.pos.models import Order, OrderLine, Payment, Refund, Shift
from mendian.pos.services.checkout import sale_checkout
from mendian.pos.services.context import CartLineRequest, SaleRequest
from mendian.pos.testing import make_order, make_product
from mendian.promotions.engine import PaymentIn


def logged_in(staff, language="zh-hans"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(staff)
    return client


def sell(world, staff, lines, payments, *, store_index=0, member=None):
    """A sale rung up by ``staff`` (``payments``: (method, amount_fen[, tendered_fen]))."""
    request = SaleRequest(store=world.stores[store_index], member=member,
                          lines=tuple(CartLineRequest(product.pk, qty) for product, qty in lines),
                          payments=tuple(PaymentIn(*payment) for payment in payments))
    return sale_checkout(access=world.access(staff), request=request)


def text(response):
    """The page's text without tags and with runs of white space collapsed, for exact row checks."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def running_takings(response):
    table = re.search(r'<table class="table table-sm" data-testid="running-takings">(.*?)</table>',
                      response.content.decode(), re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.group(1))).strip()


def shift_form(shift, counted, note=""):
    return {"action": "close", "shift": shift.pk, "counted_cash_fen": counted, "note": note}


# --- shifts (交接班) --------------------------------------------------------------------------------
def test_open_a_shift_sell_and_close_it_with_a_short_drawer(world):
    # given a cashier who opens a shift with a ¥200 float
    cashier = world.staff("cashier")
    client = logged_in(cashier)
    assert "开班" in text(client.get("/shifts/"))
    opened = client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "200"})
    assert opened.status_code == 302 and opened["Location"] == "/shifts/"
    shift = Shift.objects.get(staff=cashier, closed_at__isnull=True)
    assert (shift.store, shift.float_fen) == (world.stores[0], 20000)
    # and sells for cash (¥88 of a ¥100 note) and WeChat Pay, while the owner's sale is not theirs
    cut, shampoo = make_product(world, name="剪发", price_fen=8800), make_product(world, name="洗发水", price_fen=10000)
    sell(world, cashier, [(cut, 1)], [("cash", 8800, 10000)])
    sell(world, cashier, [(shampoo, 1)], [("wechat", 10000)])
    make_order(world, lines=[(shampoo, 1)])
    # when they look at the running takings
    page = client.get("/shifts/")
    # then they see each method by its name, with exact amounts, and a close form for this very shift
    assert running_takings(page) == "现金 ¥88.00 微信支付 ¥100.00"
    assert f'type="hidden" name="shift" value="{shift.pk}"' in page.content.decode()
    # when they close with ¥285 counted (expected ¥200 + ¥88 = ¥288)
    closed = client.post("/shifts/", shift_form(shift, "285.00", "少了三块"))
    # then the shift is closed and the ¥3 shortfall is flagged
    shift.refresh_from_db()
    assert closed["Location"] == f"/shifts/{shift.pk}/"
    assert (shift.expected_cash_fen, shift.counted_cash_fen, shift.difference_fen) == (28800, 28500, -300)
    assert shift.takings == {"cash": 8800, "wechat": 10000} and shift.note == "少了三块"
    detail = client.get(closed["Location"])
    assert re.search(r'text-danger fw-bold" data-testid="difference">-¥3.00 短款<', detail.content.decode())
    assert "已交班。" in text(detail)
    assert "备用金 ¥200.00 收款 · 现金 ¥88.00 收款 · 微信支付 ¥100.00 应有现金 ¥288.00 实点 ¥285.00 " \
        "差额 -¥3.00 短款 少了三块" in text(detail)
    listed = text(client.get("/shifts/"))
    assert "¥288.00 ¥285.00 -¥3.00 短款" in listed


def test_a_drawer_with_exactly_the_expected_cash_is_not_flagged_and_refunds_are_netted(world):
    # given a manager's shift with a cash sale of two items, one refunded
    manager = world.staff("store_manager")
    client = logged_in(manager, "en")
    client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "100.5"})
    shift = Shift.objects.get(staff=manager)
    item = make_product(world, name="Comb", price_fen=2550)
    order = sell(world, manager, [(item, 2)], [("cash", 5100)])
    line = OrderLine.objects.get(order=order)
    client.post(f"/orders/{order.pk}/refund/", {f"qty_{line.pk}": "1", "reason": "broken"})
    assert running_takings(client.get("/shifts/")) == "Cash ¥25.50"
    # when the drawer holds float + net cash exactly
    client.post("/shifts/", shift_form(shift, "126.00"))
    # then there is no difference and nothing is flagged
    shift.refresh_from_db()
    assert (shift.expected_cash_fen, shift.difference_fen, shift.takings) == (12600, 0, {"cash": 2550})
    detail = client.get(f"/shifts/{shift.pk}/").content.decode()
    assert re.search(r'<dd class="col-6 " data-testid="difference">¥0.00</dd>', detail)


def test_an_over_drawer_is_flagged_in_english(world):
    cashier = world.staff("cashier")
    client = logged_in(cashier, "en")
    client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "0"})
    shift = Shift.objects.get(staff=cashier)
    client.post("/shifts/", shift_form(shift, "0.01"))
    detail = text(client.get(f"/shifts/{shift.pk}/"))
    assert "Difference ¥0.01 over" in detail


def test_closing_a_shift_twice_changes_nothing_and_never_closes_the_next_shift(world):
    # given a closed shift
    cashier = world.staff("cashier")
    client = logged_in(cashier)
    client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "100"})
    first = Shift.objects.get(staff=cashier)
    client.post("/shifts/", shift_form(first, "100"))
    first.refresh_from_db()
    closed_at = first.closed_at
    # when the same close form is sent again (double click, back button)
    again = client.post("/shifts/", shift_form(first, "90"))
    # then it is refused with a message and the closed shift keeps its count
    assert again.status_code == 200 and "此班次已交班。" in text(again)
    first.refresh_from_db()
    assert (first.counted_cash_fen, first.difference_fen, first.closed_at) == (10000, 0, closed_at)
    # when a new shift is open and the old form is sent once more
    client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "50"})
    second = Shift.objects.get(staff=cashier, closed_at__isnull=True)
    stale = client.post("/shifts/", shift_form(first, "90"))
    # then the new shift stays open
    assert "此班次已交班。" in text(stale)
    second.refresh_from_db()
    assert second.closed_at is None and second.counted_cash_fen is None
    assert Shift.objects.filter(staff=cashier, closed_at__isnull=False).count() == 1


@pytest.mark.parametrize(("counted", "message"), [
    ("-5", "金额不能为负数。"),
    ("abc", "请输入以元为单位、最多两位小数的金额"),
    ("12.345", "请输入以元为单位、最多两位小数的金额"),
    ("", "此项必填。"),
])
def test_closing_a_shift_refuses_bad_counted_cash(world, counted, message):
    cashier = world.staff("cashier")
    client = logged_in(cashier)
    client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "100"})
    shift = Shift.objects.get(staff=cashier)
    response = client.post("/shifts/", shift_form(shift, counted))
    assert response.status_code == 200
    assert message in text(response)
    shift.refresh_from_db()
    assert (shift.closed_at, shift.counted_cash_fen, shift.difference_fen) == (None, None, None)
    html = response.content.decode()
    assert f'type="hidden" name="shift" value="{shift.pk}"' in html  # the corrected form closes the same shift
    if counted:
        assert f'name="counted_cash_fen" value="{counted}"' in html


def test_opening_a_shift_refuses_bad_input(world):
    cashier = world.staff("cashier")  # works in store 1 only
    client = logged_in(cashier)
    negative = client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "-1"})
    assert "金额不能为负数。" in text(negative)
    other_store = client.post("/shifts/", {"action": "open", "store": world.stores[1].pk, "float_fen": "1"})
    assert other_store.status_code == 200 and not Shift.objects.exists()
    client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "100"})
    # a second open shift in the same store (another tab still showing the open form)
    twice = client.post("/shifts/", {"action": "open", "store": world.stores[0].pk, "float_fen": "100"})
    assert "您在本店已有未交班的班次。" in text(twice)
    assert Shift.objects.filter(staff=cashier).count() == 1


def test_shift_pages_are_scoped_to_the_merchant_and_the_stores(world, other_world):
    # given closed shifts in both stores and at another merchant
    manager_1 = world.staff("store_manager", stores=[world.stores[0]])
    manager_2 = world.staff("store_manager", stores=[world.stores[1]])
    shifts = []
    for staff, store in ((manager_1, world.stores[0]), (manager_2, world.stores[1])):
        client = logged_in(staff)
        client.post("/shifts/", {"action": "open", "store": store.pk, "float_fen": "1"})
        shift = Shift.objects.get(staff=staff)
        client.post("/shifts/", shift_form(shift, "1"))
        shifts.append(shift)
    foreign = Shift.objects.create(merchant=other_world.merchant, store=other_world.stores[0],
                                   staff=other_world.owner, opened_at=shifts[0].opened_at, float_fen=0,
                                   closed_at=shifts[0].opened_at, counted_cash_fen=0, expected_cash_fen=0,
                                   difference_fen=0)
    client = logged_in(manager_1)
    # then the store-bound manager sees their store's shift only
    assert client.get(f"/shifts/{shifts[0].pk}/").status_code == 200
    assert client.get(f"/shifts/{shifts[1].pk}/").status_code == 404
    assert client.get(f"/shifts/{foreign.pk}/").status_code == 404
    listed = client.get("/shifts/").content.decode()
    assert f"/shifts/{shifts[0].pk}/" in listed and f"/shifts/{shifts[1].pk}/" not in listed
    # and the owner sees both stores but never the other merchant
    owner_list = logged_in(world.owner).get("/shifts/").content.decode()
    assert f"/shifts/{shifts[1].pk}/" in owner_list and f"/shifts/{foreign.pk}/" not in owner_list


# --- receipts ------------------------------------------------------------------------------------
@pytest.fixture
def member_order(world):
    """A member's order: a service at its member price and two goods, paid ¥268 cash from ¥300."""
    world.service = make_product(world, name="洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    world.goods = make_product(world, name="洗发水", price_fen=10000)
    member = make_member(world, name="李会员")
    return make_order(world, member=member, lines=[(world.service, 1), (world.goods, 2)],
                      payments=(PaymentIn("cash", 26800, 30000),))


@pytest.mark.parametrize(("query", "width", "paper"), [
    ("?width=58", "58", "54mm"), ("?width=80", "80", "76mm"), ("", "58", "54mm"), ("?width=110", "58", "54mm"),
])
def test_receipt_is_laid_out_for_the_chosen_paper(world, member_order, query, width, paper):
    response = logged_in(world.staff("cashier")).get(f"/orders/{member_order.pk}/receipt/{query}")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"@page {{ size: {width}mm auto; margin: 2mm; }}" in html
    assert f".receipt {{ width: {paper};" in html and f'data-width="{width}"' in html


def test_receipt_lines_add_up_to_the_subtotal_and_name_the_payment(world, member_order):
    page = text(logged_in(world.staff("cashier")).get(f"/orders/{member_order.pk}/receipt/?width=80"))
    assert f"订单号 {member_order.no}" in page
    assert "洗剪吹 1 × ¥88.00 ¥88.00 洗发水 2 × ¥100.00 ¥200.00 小计 ¥288.00 会员优惠 −¥20.00 " \
        "实付 ¥268.00 现金 ¥268.00 · 实收 ¥300.00 找零 ¥32.00 累计获得积分 268" in page
    english = text(logged_in(world.owner, "en").get(f"/orders/{member_order.pk}/receipt/"))
    assert "Paid ¥268.00 Cash ¥268.00 · tendered ¥300.00 Change ¥32.00" in english


def test_receipt_of_another_merchant_or_store_is_not_found(world, other_world):
    theirs = make_order(other_world)
    second_store = make_order(world, store_index=1)
    cashier = logged_in(world.staff("cashier"))  # store 1 only
    assert cashier.get(f"/orders/{theirs.pk}/receipt/").status_code == 404
    assert cashier.get(f"/orders/{second_store.pk}/receipt/?width=80").status_code == 404
    assert cashier.get("/orders/999999/receipt/").status_code == 404
    assert logged_in(world.owner).get(f"/orders/{second_store.pk}/receipt/").status_code == 200


# --- order list ----------------------------------------------------------------------------------
def order_links(response):
    return [int(pk) for pk in re.findall(r'<a href="/orders/(\d+)/">', response.content.decode())]


def test_order_list_shows_the_callers_orders_only(world, other_world):
    # given orders in both stores and one of another merchant
    member = make_member(world, name="王会员")
    first = make_order(world, store_index=0, member=member)
    second = make_order(world, store_index=1)
    theirs = make_order(other_world)
    # then the owner sees both own orders, newest first, and never the other merchant's
    owner = logged_in(world.owner)
    assert order_links(owner.get("/orders/")) == [second.pk, first.pk]
    assert theirs.pk not in order_links(owner.get(f"/orders/?date_from={theirs.business_date}"))
    # the store filter keeps one store
    assert order_links(owner.get(f"/orders/?store={world.stores[1].pk}")) == [second.pk]
    # each row shows the number, time, store, member, amount and status
    row = text(owner.get(f"/orders/?store={world.stores[0].pk}"))
    created = timezone.localtime(first.created_at, zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f"{first.no} {created} {world.stores[0].name} 王会员 ¥100.00 已支付" in row
    # a store-bound cashier sees their store only, even when asking for the other one
    cashier = logged_in(world.staff("cashier"))
    assert order_links(cashier.get("/orders/")) == [first.pk]
    refused = cashier.get(f"/orders/?store={world.stores[1].pk}")
    assert refused.status_code == 200 and order_links(refused) == [first.pk]
    assert "门店: 选择一个有效的选项。" in text(refused)


def test_order_list_period_filter_and_bad_input(world):
    order = make_order(world)
    client = logged_in(world.owner)
    day = order.business_date
    assert order_links(client.get(f"/orders/?date_from={day}&date_to={day}")) == [order.pk]
    before = client.get(f"/orders/?date_from={day - timedelta(days=9)}&date_to={day - timedelta(days=2)}")
    assert order_links(before) == [] and "此期间没有订单。" in text(before)
    backwards = client.get(f"/orders/?date_from={day}&date_to={day - timedelta(days=1)}")
    assert backwards.status_code == 200 and "结束日期早于开始日期。" in text(backwards)
    assert order_links(backwards) == []
    nonsense = client.get("/orders/?date_from=yesterday")
    assert nonsense.status_code == 200 and "从: 输入一个有效的日期。" in text(nonsense)
    bad_cursor = client.get("/orders/?cursor=not-a-cursor")
    assert bad_cursor.status_code == 200 and order_links(bad_cursor) == []


def test_load_more_keeps_the_default_period(world):
    # given a recent order and one from a month ago (outside the default last 7 days)
    old, recent = make_order(world), make_order(world)
    Order.objects.filter(pk=old.pk).update(business_date=old.business_date - timedelta(days=30))
    client = logged_in(world.owner)
    assert order_links(client.get("/orders/")) == [recent.pk]
    # when the next page of the default list is asked for (the "Load more" link of an unfiltered page)
    cursor = paginate(Order.objects.filter(merchant=world.merchant), cursor=None, limit=1, order=("-id",)).next_cursor
    more = client.get(f"/orders/?cursor={cursor}", headers={"HX-Request": "true"})
    # then it continues the same period: the old order does not appear
    assert more.status_code == 200 and "<html" not in more.content.decode()
    assert order_links(more) == []


# --- order detail and refunds --------------------------------------------------------------------
@pytest.fixture
def split_order(world):
    """Two combs (¥25.50 each) and a ¥99.90 brush, paid ¥50 by WeChat Pay and ¥100.90 in cash."""
    world.comb = make_product(world, name="梳子", price_fen=2550)
    world.brush = make_product(world, name="发刷", price_fen=9990)
    return make_order(world, lines=[(world.comb, 2), (world.brush, 1)],
                      payments=(PaymentIn("wechat", 5000), PaymentIn("cash", 10090)))


def test_order_detail_shows_lines_payments_and_the_refund_form(world, split_order):
    manager = logged_in(world.staff("store_manager"))
    response = manager.get(f"/orders/{split_order.pk}/")
    page = text(response)
    assert "梳子 2 ¥25.50 ¥25.50 ¥0.00 ¥0.00 ¥51.00 发刷 1 ¥99.90 ¥99.90 ¥0.00 ¥0.00 ¥99.90" in page
    assert "实付 ¥150.90 · 微信支付 ¥50.00 · 现金 ¥100.90" in page
    comb_line = OrderLine.objects.get(order=split_order, product=world.comb)
    assert f'name="qty_{comb_line.pk}" type="number" min="0" max="2"' in response.content.decode()
    # a cashier may look but not refund: no form
    cashier_page = logged_in(world.staff("cashier")).get(f"/orders/{split_order.pk}/").content.decode()
    assert "/refund/" not in cashier_page and "梳子" in cashier_page


def test_partial_then_full_refund_through_the_form(world, split_order):
    manager = logged_in(world.staff("store_manager"))
    comb_line = OrderLine.objects.get(order=split_order, product=world.comb)
    # when one comb is refunded
    response = manager.post(f"/orders/{split_order.pk}/refund/", {f"qty_{comb_line.pk}": "1", "reason": "断齿"},
                            follow=True)
    # then ¥25.50 goes back, split over the payments in proportion (50.00 : 100.90), to the fen
    refund = Refund.objects.get()
    assert refund.amount_fen == 2550
    assert sorted(refund.payments.values_list("payment__method", "amount_fen")) == [("cash", 1705), ("wechat", 845)]
    page = text(response)
    assert "已退款 ¥25.50。" in page
    assert "微信支付 ¥8.45 · 现金 ¥17.05" in page and "断齿" in page
    assert "梳子 2 ¥25.50 ¥25.50 ¥0.00 ¥0.00 ¥51.00 1 · ¥25.50" in page
    assert 'data-testid="order-status">部分退款<' in response.content.decode()
    assert f'name="qty_{comb_line.pk}" type="number" min="0" max="1"' in response.content.decode()
    assert Order.objects.get(pk=split_order.pk).status == "partly_refunded"
    # when everything left is refunded
    manager.post(f"/orders/{split_order.pk}/refund/", {"all": "1", "reason": "退货"})
    order = Order.objects.get(pk=split_order.pk)
    assert (order.status, order.refunded_fen) == ("refunded", 15090)
    assert sorted(Payment.objects.filter(order=order).values_list("method", "refunded_fen")) == \
        [("cash", 10090), ("wechat", 5000)]
    # then the form is gone, and another "refund everything" is refused without a new refund
    detail = manager.get(f"/orders/{split_order.pk}/").content.decode()
    assert f'action="/orders/{split_order.pk}/refund/"' not in detail
    assert 'data-testid="order-status">已退款<' in detail
    receipt = text(manager.get(f"/orders/{split_order.pk}/receipt/"))
    assert "实付 ¥150.90 微信支付 ¥50.00 现金 ¥100.90 已退 −¥150.90" in receipt
    again = manager.post(f"/orders/{split_order.pk}/refund/", {"all": "1", "reason": "再退"}, follow=True)
    assert "此订单已全额退款。" in text(again)
    assert Refund.objects.count() == 2


def test_a_refund_form_sent_twice_refunds_once(world, split_order):
    # given the refund form as shown, with its hidden key
    manager = logged_in(world.staff("store_manager"))
    url = f"/orders/{split_order.pk}/refund/"
    comb_line = OrderLine.objects.get(order=split_order, product=world.comb)

    def form_key():
        return re.search(r'name="once" value="([0-9a-f]{32})"', manager.get(f"/orders/{split_order.pk}/")
                         .content.decode()).group(1)

    body = {f"qty_{comb_line.pk}": "1", "reason": "断齿", "once": form_key()}
    # when it is sent twice (a double click)
    manager.post(url, body)
    again = manager.post(url, body, follow=True)
    # then one comb is refunded, once
    assert "此退款已记录，未重复退款。" in text(again)
    assert Refund.objects.count() == 1
    assert OrderLine.objects.get(pk=comb_line.pk).refunded_qty == 1
    # and a refused refund does not use its key up: corrected and sent again, it goes through
    retry = {**body, "once": form_key(), f"qty_{comb_line.pk}": "2"}
    assert "超出已售且未退的数量。" in text(manager.post(url, retry, follow=True))
    manager.post(url, {**retry, f"qty_{comb_line.pk}": "1"})
    assert Refund.objects.count() == 2
    assert OrderLine.objects.get(pk=comb_line.pk).refunded_qty == 2


@pytest.mark.parametrize(("quantities", "message"), [
    ({"comb": "3"}, "超出已售且未退的数量。"),
    ({"comb": "abc", "brush": "1"}, "退款数量须为正整数。"),
    ({"comb": "-1", "brush": "1"}, "退款数量须为正整数。"),
    ({"comb": "1.5"}, "退款数量须为正整数。"),
    ({"comb": "0"}, "退款数量须为正整数。"),
    ({}, "退款数量须为正整数。"),
])
def test_refund_form_refuses_bad_quantities_and_changes_nothing(world, split_order, quantities, message):
    lines = {"comb": OrderLine.objects.get(order=split_order, product=world.comb),
             "brush": OrderLine.objects.get(order=split_order, product=world.brush)}
    form = {f"qty_{lines[name].pk}": qty for name, qty in quantities.items()}
    response = logged_in(world.staff("store_manager")).post(f"/orders/{split_order.pk}/refund/",
                                                            {**form, "reason": "试"}, follow=True)
    assert message in text(response)
    assert not Refund.objects.exists()
    assert list(OrderLine.objects.filter(order=split_order).values_list("refunded_qty", flat=True)) == [0, 0]
    assert list(Payment.objects.filter(order=split_order).values_list("refunded_fen", flat=True)) == [0, 0]
    assert Order.objects.get(pk=split_order.pk).status == "paid"


def test_refund_needs_a_reason_and_the_refund_permission(world, split_order):
    comb_line = OrderLine.objects.get(order=split_order, product=world.comb)
    manager = logged_in(world.staff("store_manager"))
    no_reason = manager.post(f"/orders/{split_order.pk}/refund/", {f"qty_{comb_line.pk}": "1", "reason": " "},
                             follow=True)
    assert "请填写退款原因。" in text(no_reason)
    cashier = logged_in(world.staff("cashier"))
    refused = cashier.post(f"/orders/{split_order.pk}/refund/", {"all": "1", "reason": "想退"})
    assert refused.status_code == 403
    assert not Refund.objects.exists() and Order.objects.get(pk=split_order.pk).refunded_fen == 0


def test_a_get_on_the_refund_address_shows_the_order(world, split_order):
    response = logged_in(world.staff("store_manager")).get(f"/orders/{split_order.pk}/refund/")
    assert response.status_code == 302 and response["Location"] == f"/orders/{split_order.pk}/"
    assert not Refund.objects.exists()


def test_orders_of_another_merchant_or_store_are_not_found(world, other_world):
    theirs = make_order(other_world)
    second_store = make_order(world, store_index=1)
    manager = logged_in(world.staff("store_manager", stores=[world.stores[0]]))
    for order in (theirs, second_store):
        assert manager.get(f"/orders/{order.pk}/").status_code == 404
        assert manager.get(f"/orders/{order.pk}/refund/").status_code == 404
        assert manager.post(f"/orders/{order.pk}/refund/", {"all": "1", "reason": "越权"}).status_code == 404
    assert logged_in(world.owner).get(f"/orders/{theirs.pk}/").status_code == 404
    assert not Refund.objects.exists()
    assert Order.objects.get(pk=theirs.pk).status == Order.Status.PAID
