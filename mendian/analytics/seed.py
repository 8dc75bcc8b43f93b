"""The demo chain's order history for the dashboards, segments and RFM (``seed_demo --orders N``).

Orders of the last year, written in bulk (``COPY`` on PostgreSQL) with their lines, payments and
refunds, as the counter would have recorded them — with the simplifications of a history imported
from before Mendian: no points and no stored value on these orders, so the ledgers stay untouched.
The data is shaped like a real chain's: a few members buy often and most seldom (the member of each
order is drawn from a skewed distribution), a quarter of the orders are walk-ins, weekends and the
holiday months sell more, members buy mostly in the store they joined, nobody buys before joining,
and about one order in twenty is refunded, in full or one line, a few days later (the recent ones not yet). The members'
statistics (orders, spend net of refunds, first and last visit) are then computed from the orders.
"""

from __future__ import annotations

import bisect
import itertools
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from mendian.core.bulk import insert_rows, reserve_ids
from mendian.core.seeding import SeedContext
from mendian.members.models import Member
from mendian.pos.models import Order, OrderLine, Payment, Refund, RefundLine, RefundPayment

from .facts import facts_build
from .rollups import rollup

ORDER = 70
DEFAULT_ORDERS = 20_000  # the default demo: a year of history for its 2,000 members
DAYS = 365
BATCH = 50_000
METHODS = ("wechat",) * 9 + ("alipay",) * 6 + ("cash",) * 3 + ("card",) * 2
# Busier months (spring festival, May day, national day, double eleven, year end) and weekends.
MONTH_WEIGHT = {1: 1.3, 2: 1.2, 3: 0.9, 4: 0.9, 5: 1.1, 6: 0.9, 7: 0.9, 8: 0.9, 9: 1.0, 10: 1.2, 11: 1.2, 12: 1.3}

ORDER_COLUMNS = ("id", "merchant_id", "store_id", "member_id", "no", "business_date", "status", "subtotal_fen",
                 "member_discount_fen", "coupon_discount_fen", "points_used", "points_discount_fen", "payable_fen",
                 "points_earned", "change_fen", "coupons_applied", "refunded_fen", "card_discount_fen", "created_at")
LINE_COLUMNS = ("id", "order_id", "product_id", "name", "kind", "qty", "unit_price_fen", "member_unit_price_fen",
                "line_price_fen", "member_discount_fen", "coupon_discount_fen", "coupon_shares", "points_discount_fen",
                "points_used", "payable_fen", "points_earned", "cost_fen", "promotion_discount_fen", "refunded_qty",
                "refunded_fen", "refunded_points_used", "refunded_points_earned", "card_discount_fen")
PAYMENT_COLUMNS = ("id", "order_id", "method", "amount_fen", "tendered_fen", "change_fen", "provider", "provider_ref",
                   "refunded_fen", "refunded_principal_fen", "refunded_bonus_fen")
REFUND_COLUMNS = ("id", "merchant_id", "order_id", "store_id", "reason", "amount_fen", "points_returned",
                  "points_taken_back", "points_shortfall", "created_at")
REFUND_LINE_COLUMNS = ("refund_id", "order_line_id", "qty", "amount_fen", "points_used", "points_earned")
REFUND_PAYMENT_COLUMNS = ("refund_id", "payment_id", "amount_fen", "principal_fen", "bonus_fen", "provider_ref")


def seed(ctx: SeedContext) -> None:
    count = ctx.orders if ctx.orders is not None else (DEFAULT_ORDERS if ctx.members is None else 0)
    if count <= 0:
        return
    started = time.perf_counter()
    history = History(ctx, count)
    history.write()
    rolled = time.perf_counter()
    days = rollup(merchant=ctx.data["merchant"])
    built = time.perf_counter()
    members = facts_build(merchant=ctx.data["merchant"])
    ctx.write(f"  {count:,} orders of history in {history.spent_writing:.0f} s, members' statistics in "
              f"{history.spent_statistics:.0f} s, {days} days of figures for the dashboards in "
              f"{built - rolled:.0f} s, facts of {members or 0:,} members in {time.perf_counter() - built:.0f} s "
              f"({time.perf_counter() - started:.0f} s in all)")


class History:
    def __init__(self, ctx: SeedContext, count: int) -> None:
        self.ctx, self.count, self.rng = ctx, count, ctx.rng
        self.merchant = ctx.data["merchant"]
        self.stores = ctx.data["stores"]
        # Goods and services (a card sold is a card issued: the cards' own seed sells those).
        self.products = [p for p in ctx.data["products"] if p.kind in ("goods", "service")]
        self.now = timezone.now()
        self.tz = ZoneInfo(self.merchant.timezone)
        self.start = self.now - timedelta(days=DAYS)
        members = list(Member.objects.filter(merchant=self.merchant).order_by("id")
                       .values_list("id", "created_at", "registered_store_id"))
        # A fixed shuffle, so that the frequent buyers are spread over the member list.
        self.rng.shuffle(members)
        self.members = members
        self.member_cumulative = list(itertools.accumulate(min(self.rng.paretovariate(1.3), 20.0) for _ in members))
        weights = []
        for offset in range(DAYS):
            day = (self.start + timedelta(days=offset)).astimezone(self.tz)
            weights.append(MONTH_WEIGHT[day.month] * (1.4 if day.weekday() >= 5 else 1.0))
        self.day_cumulative = list(itertools.accumulate(weights))
        self.numbers = itertools.count(1)

    def _when(self, joined: datetime | None) -> datetime:
        """A moment in the last year, on a day drawn by the seasonal weights among the days from joining on."""
        rng = self.rng
        first = 0
        if joined is not None and joined > self.start:
            first = min((joined - self.start).days, DAYS - 1)
        low = self.day_cumulative[first - 1] if first else 0.0
        offset = bisect.bisect(self.day_cumulative, low + rng.random() * (self.day_cumulative[-1] - low))
        day = (self.start + timedelta(days=min(offset, DAYS - 1))).astimezone(self.tz)
        when = day.replace(hour=rng.randint(9, 21), minute=rng.randrange(60), second=rng.randrange(60),
                           microsecond=0)
        if joined is not None and when < joined:
            when = joined + timedelta(minutes=rng.randrange(1, 120))
        latest = self.now - timedelta(seconds=1)
        if when > latest:  # never in the future, never before joining (a member who joined just now)
            when = latest if joined is None or joined <= latest else joined
        return when

    def _member(self) -> tuple[int, datetime, int]:
        """A member, the frequent ones more often (weights from a capped Pareto distribution)."""
        return self.members[bisect.bisect(self.member_cumulative, self.rng.random() * self.member_cumulative[-1])]

    def write(self) -> None:
        started = time.perf_counter()
        done = 0
        while done < self.count:
            size = min(BATCH, self.count - done)
            self._batch(size)
            done += size
            if self.count >= 200_000 and done % 1_000_000 < BATCH:
                self.ctx.write(f"  orders: {done:,} / {self.count:,}")
        self.spent_writing = time.perf_counter() - started
        self._member_statistics()
        self.spent_statistics = time.perf_counter() - started - self.spent_writing

    def _batch(self, size: int) -> None:
        rng = self.rng
        order_ids = reserve_ids(Order, size)
        orders, lines, payments, refunds, refund_lines, refund_payments = [], [], [], [], [], []
        line_rows: list[list] = []
        member_count = len(self.members)
        for order_id in order_ids:
            member = None
            if member_count and rng.random() < 0.75:
                member = self._member()
            store = member[2] if member and rng.random() < 0.7 else rng.choice(self.stores).pk
            when = self._when(member[1] if member else None)
            store_code = next(s.code for s in self.stores if s.pk == store)
            items = []
            for product in rng.sample(self.products, rng.choice((1, 1, 1, 2, 2, 3))):
                qty = rng.choice((1, 1, 1, 2))
                unit = product.price_fen
                member_unit = product.member_price_fen if member and product.member_price_fen else unit
                items.append((product, qty, unit, member_unit))
            subtotal = sum(q * u for _p, q, u, _m in items)
            payable = sum(q * m for _p, q, _u, m in items)
            fate = rng.random()
            refund_all, refund_one = fate < 0.03, 0.03 <= fate < 0.05 and len(items) > 1
            order_lines = []
            for product, qty, unit, member_unit in items:
                order_lines.append([None, order_id, product.pk, product.name, product.kind, qty, unit, member_unit,
                                    qty * unit, qty * (unit - member_unit), 0, "[]", 0, 0, qty * member_unit, 0,
                                    product.cost_fen, 0, 0, 0, 0, 0, 0])
            refunded = 0
            refund_at = when + timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 8))
            if refund_at >= self.now:  # the customer has not come back to return it yet
                refund_all = refund_one = False
            if refund_all or refund_one:
                for line in (order_lines if refund_all else order_lines[-1:]):
                    line[18], line[19] = line[5], line[14]  # refunded qty and amount
                    refunded += line[14]
            status = "paid" if not refunded else ("refunded" if refunded == payable else "partly_refunded")
            number = f"{store_code}-{when.astimezone(self.tz):%y%m%d}-H{next(self.numbers):07d}"
            orders.append((order_id, self.merchant.pk, store, member[0] if member else None, number,
                           when.astimezone(self.tz).date(), status, subtotal, subtotal - payable, 0, 0, 0, payable,
                           0, 0, "[]", refunded, 0, when))
            method = rng.choice(METHODS)
            payments.append([None, order_id, method, payable, payable if method == "cash" else None, 0, "", "",
                             refunded, 0, 0])
            line_rows.append(order_lines)
            if refunded:
                refunds.append([None, self.merchant.pk, order_id, store, "顾客退货", refunded, 0, 0, 0, refund_at,
                                [line for line in order_lines if line[18]], len(payments) - 1])
        for line_id, line in zip(reserve_ids(OrderLine, sum(len(ls) for ls in line_rows)),
                                 (line for ls in line_rows for line in ls), strict=True):
            line[0] = line_id
            lines.append(line)
        for payment_id, payment in zip(reserve_ids(Payment, len(payments)), payments, strict=True):
            payment[0] = payment_id
        for refund_id, refund in zip(reserve_ids(Refund, len(refunds)), refunds, strict=True):
            refund[0] = refund_id
            for line in refund[10]:
                refund_lines.append((refund_id, line[0], line[18], line[19], 0, 0))
            refund_payments.append((refund_id, payments[refund[11]][0], refund[5], 0, 0, ""))
        insert_rows(Order, ORDER_COLUMNS, orders)
        insert_rows(OrderLine, LINE_COLUMNS, lines)
        insert_rows(Payment, PAYMENT_COLUMNS, payments)
        insert_rows(Refund, REFUND_COLUMNS, (r[:10] for r in refunds))
        insert_rows(RefundLine, REFUND_LINE_COLUMNS, refund_lines)
        insert_rows(RefundPayment, REFUND_PAYMENT_COLUMNS, refund_payments)

    def _member_statistics(self) -> None:
        """Orders, spend net of refunds and first/last visit of every member, from their orders."""
        orders = Order.objects.filter(merchant=self.merchant, member__isnull=False)
        mine = orders.filter(member_id=OuterRef("pk")).order_by().values("member_id")
        Member.objects.filter(merchant=self.merchant).update(
            order_count=Coalesce(Subquery(mine.annotate(n=Count("id", filter=~Q(status="refunded"))).values("n")), 0),
            total_spent_fen=Coalesce(Subquery(mine.annotate(s=Sum(F("payable_fen") - F("refunded_fen")))
                                              .values("s")), 0),
            first_visit_at=Subquery(mine.annotate(t=Min("created_at")).values("t")),
            last_visit_at=Subquery(mine.annotate(t=Max("created_at")).values("t")))
