"""The order history of the demo data set: consistent with itself, its members and the reports."""

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Sum
from django.utils import timezone

from mendian.analytics.seed import History
from mendian.catalog.models import Product
from mendian.core.seeding import SeedContext
from mendian.members.models import Member
from mendian.members.testing import make_member
from mendian.pos.models import Order, OrderLine, Payment, Refund, RefundLine, RefundPayment
from mendian.pos.testing import make_product


def test_history_orders_lines_payments_and_refunds_agree(world):
    products = [make_product(world, name="洗剪吹", kind="service", price_fen=8800, member_price_fen=6800),
                make_product(world, name="洗发水", price_fen=5900), make_product(world, name="护理", price_fen=19900)]
    members = [make_member(world, store_index=i % 2) for i in range(30)]
    ctx = SeedContext(write=lambda _text: None, orders=600, rng=random.Random(3),
                      data={"merchant": world.merchant, "stores": world.stores, "products": products})
    History(ctx, 600).write()
    orders = Order.objects.filter(merchant=world.merchant)
    assert orders.count() == 600
    for order in orders.prefetch_related("lines", "payments"):
        lines, payments = list(order.lines.all()), list(order.payments.all())
        assert order.subtotal_fen == sum(line.line_price_fen for line in lines)
        assert order.payable_fen == sum(line.payable_fen for line in lines) == sum(p.amount_fen for p in payments)
        assert order.subtotal_fen - order.member_discount_fen == order.payable_fen
        assert order.refunded_fen == sum(line.refunded_fen for line in lines) == sum(p.refunded_fen for p in payments)
        expected = "paid" if not order.refunded_fen else (
            "refunded" if order.refunded_fen == order.payable_fen else "partly_refunded")
        assert order.status == expected
        if order.member_id:
            assert order.created_at >= Member.objects.get(pk=order.member_id).created_at
    refunds = Refund.objects.filter(merchant=world.merchant)
    assert refunds.exists()
    assert refunds.aggregate(s=Sum("amount_fen"))["s"] == orders.aggregate(s=Sum("refunded_fen"))["s"] == \
        RefundLine.objects.filter(refund__in=refunds).aggregate(s=Sum("amount_fen"))["s"] == \
        RefundPayment.objects.filter(refund__in=refunds).aggregate(s=Sum("amount_fen"))["s"]
    assert all(r.created_at >= r.order.created_at for r in refunds.select_related("order"))
    assert OrderLine.objects.filter(order__in=orders, refunded_qty__gt=F("qty")).count() == 0
    assert Payment.objects.filter(order__in=orders).count() == 600
    # member statistics are the orders' own
    for member in Member.objects.filter(pk__in=[m.pk for m in members]):
        mine = orders.filter(member=member)
        assert member.order_count == mine.exclude(status="refunded").count()
        assert member.total_spent_fen == (mine.aggregate(s=Sum(F("payable_fen") - F("refunded_fen")))["s"] or 0)
        if mine.exists():
            assert member.last_visit_at == mine.order_by("-created_at").first().created_at
    # a quarter are walk-ins, and the frequent members buy far more than the rest
    walk_ins = orders.filter(member__isnull=True).count()
    assert 90 < walk_ins < 210
    counts = sorted((m.order_count for m in Member.objects.filter(pk__in=[m.pk for m in members])), reverse=True)
    assert counts[0] >= 3 * max(counts[len(counts) // 2], 1)
    out = StringIO()
    call_command("check_ledgers", stdout=out)
    assert "balance" in out.getvalue()


def _history_rows(world, members, monkeypatch, *, parallel: bool):
    """The history of a fixed seed and moment, without its ids, and the members' statistics."""
    import mendian.analytics.seed as seed

    moment = timezone.now()
    monkeypatch.setattr(seed.timezone, "now", lambda: moment)
    monkeypatch.setattr(seed, "BATCH", 150)  # several chunks
    monkeypatch.setattr(seed, "PARALLEL_FROM", 1 if parallel else 10**9)
    products = list(Product.objects.filter(merchant=world.merchant).order_by("id"))
    ctx = SeedContext(write=lambda _text: None, orders=700, rng=random.Random(5),
                      data={"merchant": world.merchant, "stores": world.stores, "products": products})
    History(ctx, 700).write()
    orders = Order.objects.filter(merchant=world.merchant).order_by("no")
    rows = [(o.no, o.store_id, o.member_id, o.business_date, o.status, o.subtotal_fen, o.payable_fen, o.refunded_fen,
             o.created_at, [(line.product_id, line.qty, line.payable_fen, line.refunded_qty) for line in o.lines.all()],
             [(p.method, p.amount_fen, p.tendered_fen, p.refunded_fen) for p in o.payments.all()],
             [(r.amount_fen, r.created_at, r.store_id, sorted(x.amount_fen for x in r.lines.all()),
               [x.amount_fen for x in r.payments.all()]) for r in o.refunds.all()])
            for o in orders.prefetch_related("lines", "payments", "refunds__lines", "refunds__payments")]
    statistics = sorted(Member.objects.filter(pk__in=[m.pk for m in members])
                        .values_list("pk", "order_count", "total_spent_fen", "first_visit_at", "last_visit_at"))
    return rows, statistics


@pytest.mark.postgres
def test_history_made_by_a_worker_process_is_the_history_made_in_process(world, monkeypatch):
    make_product(world, name="洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    make_product(world, name="洗发水\t特价", price_fen=5900)  # a tab, as COPY must escape it
    make_product(world, name="护理", price_fen=19900)
    members = [make_member(world, store_index=i % 2) for i in range(40)]
    in_process, statistics = _history_rows(world, members, monkeypatch, parallel=False)
    with connection.cursor() as cursor:
        for table in ("pos_refundpayment", "pos_refundline", "pos_refund", "pos_payment", "pos_orderline"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM pos_order WHERE merchant_id = %s", [world.merchant.pk])
    by_worker, worker_statistics = _history_rows(world, members, monkeypatch, parallel=True)
    assert len(by_worker) == 700
    assert any(row[11] for row in by_worker)  # refunds
    assert by_worker == in_process
    assert worker_statistics == statistics
    assert any(s[1] for s in statistics)
    assert Product.objects.get(name="洗发水\t特价").pk in {line[0] for row in by_worker for line in row[9]}
