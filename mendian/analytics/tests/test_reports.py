import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from mendian.analytics.models import DaySales
from mendian.analytics.reports import Period, breakdown, series, takings
from mendian.analytics.rollups import closed_through, rollup, rollup_forget
from mendian.core.testing.api import error_code
from mendian.loyalty.models import PointsEntry, PointsRule
from mendian.members.models import Member
from mendian.members.testing import make_member
from mendian.pos.models import Order, Payment, Refund, RefundPayment
from mendian.pos.services.context import CartLineRequest, PaymentIn
from mendian.pos.testing import make_product
from mendian.wallet.models import Recharge
from mendian.wallet.services import wallet_recharge

from .helpers import order_at, refund_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def shop(world):
    PointsRule.objects.update_or_create(merchant=world.merchant, defaults={"points_per_yuan": 1})
    world.goods = make_product(world, name="洗发水", price_fen=8800)
    world.cut = make_product(world, name="剪发", kind="service", price_fen=5000)
    return world


def test_summary_of_a_day_with_refunds_stored_value_and_local_day_edges(shop):
    member = make_member(shop, name="会员")
    wallet_recharge(access=shop.access(), member=member, store=shop.stores[0], pay_fen=30000, payment_method="wechat")
    Recharge.objects.update(created_at=at(DAY, 9))
    Member.objects.filter(pk=member.pk).update(created_at=at(DAY, 8))
    # 00:05 and 23:55 local are in the day (their UTC dates are the day before and the day itself)
    first = order_at(shop, at(DAY, 0, 5), lines=[(shop.goods, 1)])  # walk-in, cash ¥88
    split = order_at(shop, at(DAY, 23, 55), member=member, lines=[(shop.goods, 1), (shop.cut, 1)],
                     payments=(PaymentIn("stored_value", 10000), PaymentIn("cash", 3800)))
    order_at(shop, at(DAY + timedelta(days=1), 0, 0), lines=[(shop.cut, 1)])  # the next day: not counted
    order_at(shop, at(DAY - timedelta(days=1), 23, 59), lines=[(shop.cut, 1)])  # the day before
    # a refund made in the day of an order of the day before counts as a refund of the day
    earlier = order_at(shop, at(DAY - timedelta(days=3), 12), lines=[(shop.cut, 1)], method="alipay")
    refund_at(shop, earlier, at(DAY, 12))
    # a refund made the next day does not count in the day
    refund_at(shop, first, at(DAY + timedelta(days=1), 10))
    PointsEntry.objects.filter(member_id=member.pk).update(created_at=at(DAY, 23, 55))
    figures = shop.api().get(f"/reports/summary?date_from={DAY}&date_to={DAY}").data
    assert figures == {
        "date_from": DAY.isoformat(), "date_to": DAY.isoformat(),
        "sales_fen": 8800 + 13800, "refunds_fen": 5000, "net_sales_fen": 8800 + 13800 - 5000,
        "orders": 2, "member_orders": 1, "member_sales_fen": 13800, "average_ticket_fen": 11300,
        "new_members": 1, "recharge_principal_fen": 30000, "recharge_bonus_fen": 0,
        "stored_value_spent_fen": 10000, "points_earned": split.points_earned, "points_redeemed": 0,
        "coupon_discount_fen": 0,
        "by_payment_method": {"alipay": -5000, "cash": 8800 + 3800, "stored_value": 10000},
    }
    assert sum(figures["by_payment_method"].values()) == figures["net_sales_fen"]


def test_every_figure_equals_the_sum_of_its_rows_on_generated_data(shop):
    """Random orders over ten days, some refunded in part or in full on later days, in two stores;
    every figure of every day, and of the whole period, equals the rows summed independently."""
    rng = random.Random(7)
    members = [make_member(shop, name=f"会员{i}", store_index=i % 2) for i in range(6)]
    for member in members:
        wallet_recharge(access=shop.access(), member=member, store=shop.stores[0], pay_fen=500000,
                        payment_method="cash")
    days = [DAY + timedelta(days=i) for i in range(10)]
    orders = []
    for _ in range(40):
        member = rng.choice(members + [None, None])
        lines = [(shop.goods, rng.randint(1, 3))] + ([(shop.cut, 1)] if rng.random() < 0.5 else [])
        method = rng.choice(["cash", "wechat", "stored_value"] if member else ["cash", "wechat"])
        orders.append(order_at(shop, at(rng.choice(days), rng.randint(0, 23), rng.randint(0, 59)), member=member,
                               lines=lines, store_index=rng.randint(0, 1), method=method))
    for order in rng.sample(orders, 12):
        later = order.created_at + timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 5))
        if rng.random() < 0.5:
            refund_at(shop, order, later)
        else:
            refund_at(shop, order, later, lines=[CartLineRequest(order.lines.first().product_id, 1)])
    client = shop.api()
    tz = SHANGHAI

    def expected(first: date, last: date, store_id: int | None) -> dict:
        start = datetime(first.year, first.month, first.day, tzinfo=tz)
        end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
        placed = Order.objects.filter(merchant=shop.merchant, created_at__gte=start, created_at__lt=end)
        refunds = Refund.objects.filter(merchant=shop.merchant, created_at__gte=start, created_at__lt=end)
        if store_id:
            placed, refunds = placed.filter(store_id=store_id), refunds.filter(store_id=store_id)
        sales = sum(o.payable_fen for o in placed)
        by_method: dict[str, int] = {}
        for p in Payment.objects.filter(order__in=placed):
            by_method[p.method] = by_method.get(p.method, 0) + p.amount_fen
        for r in RefundPayment.objects.filter(refund__in=refunds).select_related("payment"):
            by_method[r.payment.method] = by_method.get(r.payment.method, 0) - r.amount_fen
        refunded = refunds.aggregate(s=Sum("amount_fen"))["s"] or 0
        return {"sales_fen": sales, "orders": placed.count(), "refunds_fen": refunded,
                "net_sales_fen": sales - refunded,
                "member_sales_fen": sum(o.payable_fen for o in placed if o.member_id),
                "by_payment_method": dict(sorted(by_method.items()))}

    def everything():
        figures = {}
        for first, last in [(d, d) for d in days] + [(days[0], days[-1] + timedelta(days=4))]:
            for store in (None, shop.stores[0].pk, shop.stores[1].pk):
                query = f"/reports/summary?date_from={first}&date_to={last}" + (f"&store_id={store}" if store else "")
                got = client.get(query).data
                want = expected(first, last, store)
                assert {k: got[k] for k in want} == want, (first, store)
                assert sum(got["by_payment_method"].values()) == got["net_sales_fen"]
                figures[(first, last, store)] = got
        period = Period(days[0], days[-1] + timedelta(days=4), "Asia/Shanghai")
        for by in ("store", "city", "category", "level"):
            figures[by] = breakdown(access=shop.access(), period=period, stores=None, by=by)
        figures["series"] = series(access=shop.access(), period=period, stores=None, grain="day")
        figures["takings"] = takings(access=shop.access(), period=period, stores=None)
        return figures

    live = everything()
    # the nightly roll-up stores the closed days: every figure stays the same, now read from it
    assert rollup(merchant=shop.merchant, now=at(days[-1] + timedelta(days=3), 2)) > 0
    assert DaySales.objects.filter(merchant=shop.merchant).exists()
    assert closed_through(shop.merchant.pk) == days[-1] + timedelta(days=2)
    assert everything() == live
    # a day written into afterwards is forgotten and read live again until the next run
    rollup_forget(merchant_id=shop.merchant.pk, since=days[3])
    assert closed_through(shop.merchant.pk) == days[2]
    assert everything() == live
    whole = live[(days[0], days[-1] + timedelta(days=4), None)]
    assert sum(row["sales_fen"] for row in live["store"]) == whole["sales_fen"]
    assert sum(row["sales_fen"] for row in live["level"]) == whole["sales_fen"]
    assert sum(live["series"]["sales_fen"]) == whole["sales_fen"]


def test_store_staff_see_their_stores_only_and_bad_periods_are_refused(shop):
    order_at(shop, at(DAY, 10), lines=[(shop.goods, 1)], store_index=0)
    order_at(shop, at(DAY, 11), lines=[(shop.cut, 1)], store_index=1)
    manager = shop.api(shop.staff("store_manager", stores=[shop.stores[1]]))
    mine = manager.get(f"/reports/summary?date_from={DAY}&date_to={DAY}").data
    assert (mine["sales_fen"], mine["orders"]) == (5000, 1)
    other = manager.get(f"/reports/summary?date_from={DAY}&date_to={DAY}&store_id={shop.stores[0].pk}")
    assert other.status_code in (403, 404)
    owner = shop.api()
    assert owner.get(f"/reports/summary?date_from={DAY}&date_to={DAY}").data["sales_fen"] == 13800
    for query, status, code in [
        (f"date_from={DAY}&date_to={DAY - timedelta(days=1)}", 422, "invalid_period"),
        (f"date_from={DAY}", 422, "period_required"),
        ("date_from=2026-13-01&date_to=2026-12-01", 422, "validation_error"),
        (f"date_from=2020-01-01&date_to={DAY}", 422, "period_too_long"),
        (f"date_from={DAY}&date_to={DAY}&store_id=999999", 404, "store_not_found"),
    ]:
        response = owner.get(f"/reports/summary?{query}")
        assert (response.status_code, error_code(response)) == (status, code), (query, response.data)
    cashier = shop.api(shop.staff("cashier"))
    assert cashier.get(f"/reports/summary?date_from={DAY}&date_to={DAY}").status_code == 403


def test_series_put_each_order_in_its_local_day_week_and_month(shop):
    from mendian.analytics.reports import Period, series

    order_at(shop, at(DAY, 0, 5), lines=[(shop.goods, 1)])  # 16:05 UTC the day before
    order_at(shop, at(DAY, 23, 55), lines=[(shop.cut, 1)])
    order_at(shop, at(DAY + timedelta(days=1), 0, 0), lines=[(shop.cut, 1)])
    refund_at(shop, order_at(shop, at(DAY - timedelta(days=1), 9), lines=[(shop.cut, 1)]), at(DAY, 7))
    period = Period(DAY - timedelta(days=1), DAY + timedelta(days=1), "Asia/Shanghai")
    daily = series(access=shop.access(), period=period, stores=None, grain="day")
    assert daily["buckets"] == [str(DAY - timedelta(days=1)), str(DAY), str(DAY + timedelta(days=1))]
    assert daily["sales_fen"] == [5000, 8800 + 5000, 5000]
    assert daily["orders"] == [1, 2, 1]
    assert daily["refunds_fen"] == [0, 5000, 0]
    # 2026-11-10 is a Tuesday: its week starts on Monday the 9th; the whole period is in November
    weekly = series(access=shop.access(), period=period, stores=None, grain="week")
    assert weekly["buckets"] == ["2026-11-09"] and weekly["sales_fen"] == [23800]
    monthly = series(access=shop.access(), period=Period(date(2026, 10, 31), DAY, "Asia/Shanghai"), stores=None,
                     grain="month")
    assert monthly["buckets"] == ["2026-10-01", "2026-11-01"] and monthly["sales_fen"] == [0, 5000 + 8800 + 5000]


def test_active_and_repeat_members_of_a_period_and_the_one_before(shop):
    from mendian.analytics.reports import headlines

    twice, once, refunded, earlier = (make_member(shop, name=n) for n in ("两次", "一次", "全退", "上期"))
    for hour in (9, 15):
        order_at(shop, at(DAY, hour), member=twice, lines=[(shop.cut, 1)])
    order_at(shop, at(DAY - timedelta(days=1), 10), member=once, lines=[(shop.cut, 1)])
    refund_at(shop, order_at(shop, at(DAY, 11), member=refunded, lines=[(shop.cut, 1)]), at(DAY, 12))
    for day in (DAY - timedelta(days=2), DAY - timedelta(days=3)):  # both in the period before
        order_at(shop, at(day, 10), member=earlier, lines=[(shop.cut, 1)])
    order_at(shop, at(DAY - timedelta(days=3), 18), member=once, lines=[(shop.cut, 1)])
    now, before = headlines(access=shop.access(), period=Period(DAY - timedelta(days=1), DAY, "Asia/Shanghai"),
                            stores=None)
    assert (now["active_members"], now["repeat_members"], now["repeat_rate_pct"]) == (2, 1, 50.0)
    assert (before["active_members"], before["repeat_members"]) == (2, 1)
    assert now["walk_in_orders"] == 0 and now["orders"] == 4
