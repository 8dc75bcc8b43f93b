"""The demo chain's order history for the dashboards, segments and RFM (``seed_demo --orders N``).

Orders of the last year, written in bulk (``COPY`` on PostgreSQL) with their lines, payments and
refunds, as the counter would have recorded them — with the simplifications of a history imported
from before Mendian: no points and no stored value on these orders, so the ledgers stay untouched.
The data is shaped like a real chain's: a few members buy often and most seldom (the member of each
order is drawn from a skewed distribution), a quarter of the orders are walk-ins, weekends and the
holiday months sell more, members buy mostly in the store they joined, nobody buys before joining,
and about one order in twenty is refunded, in full or one line, a few days later (the latest ones
not yet). The members' statistics (orders, spend net of refunds, first and last visit) are then
computed from the orders.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from mendian.core.bulk import (
    Reserve,
    Table,
    analyze,
    copy_lines,
    foreign_keys_checked_in_bulk,
    insert_rows,
    made_by_worker,
    reserve_ids,
    write_tables,
)
from mendian.core.seeding import SeedContext
from mendian.members.models import Member
from mendian.pos.models import Order, OrderLine, Payment, Refund, RefundLine, RefundPayment

from .facts import facts_build
from .rollups import rollup

ORDER = 70
DEFAULT_ORDERS = 20_000  # the default demo: a year of history for its 2,000 members
DAYS = 365
BATCH = 50_000
PARALLEL_FROM = 200_000  # orders from which a worker process makes them (PostgreSQL)
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
    """The orders, generated in chunks of ``BATCH``: chunk *k* draws from its own generator (seeded from the
    context's generator and *k*), so the history is the same whether the chunks are made here one after
    the other or by a worker process while this one writes the previous chunk (PostgreSQL, large counts)."""

    def __init__(self, ctx: SeedContext, count: int) -> None:
        self.ctx, self.count, self.rng = ctx, count, ctx.rng
        self.merchant = ctx.data["merchant"]
        self.merchant_id = self.merchant.pk
        self.stores = ctx.data["stores"]
        self.store_ids = [s.pk for s in self.stores]
        self.store_codes = {s.pk: s.code for s in self.stores}
        # Goods and services (a card sold is a card issued: the cards' own seed sells those).
        self.products = [(p.pk, p.name, p.kind, p.price_fen, p.member_price_fen or p.price_fen, p.cost_fen)
                         for p in ctx.data["products"] if p.kind in ("goods", "service")]
        self.now = timezone.now()
        self.latest = self.now - timedelta(seconds=1)
        self.tz = ZoneInfo(self.merchant.timezone)
        self.start = self.now - timedelta(days=DAYS)
        members = list(Member.objects.filter(merchant=self.merchant).order_by("id")
                       .values_list("id", "created_at", "registered_store_id"))
        # A fixed shuffle, so that the frequent buyers are spread over the member list.
        self.rng.shuffle(members)
        self.members = members
        self.member_cumulative = list(itertools.accumulate(min(self.rng.paretovariate(1.3), 20.0) for _ in members))
        self.member_total = self.member_cumulative[-1] if members else 0.0
        # Each day of the year in the merchant's time zone, with its weight (season, weekend).
        self.days = [(self.start + timedelta(days=offset)).astimezone(self.tz) for offset in range(DAYS)]
        weights = [MONTH_WEIGHT[day.month] * (1.4 if day.weekday() >= 5 else 1.0) for day in self.days]
        self.day_cumulative = list(itertools.accumulate(weights))
        self.seed = self.rng.getrandbits(64)

    def _when(self, rng: random.Random, joined: datetime | None) -> datetime:
        """A moment in the last year (local time), on a day drawn by the seasonal weights among the days from
        joining on."""
        first = 0
        if joined is not None and joined > self.start:
            first = min((joined - self.start).days, DAYS - 1)
        cumulative = self.day_cumulative
        low = cumulative[first - 1] if first else 0.0
        offset = bisect.bisect(cumulative, low + rng.random() * (cumulative[-1] - low))
        when = self.days[min(offset, DAYS - 1)].replace(hour=rng.randint(9, 21), minute=rng.randrange(60),
                                                        second=rng.randrange(60), microsecond=0)
        if joined is not None and when < joined:
            when = (joined + timedelta(minutes=rng.randrange(1, 120))).astimezone(self.tz)
        if when > self.latest:  # never in the future, never before joining (a member who joined just now)
            when = (self.latest if joined is None or joined <= self.latest else joined).astimezone(self.tz)
        return when

    def write(self) -> None:
        started = time.perf_counter()
        chunks = [(index, min(BATCH, self.count - start)) for index, start in enumerate(range(0, self.count, BATCH))]
        if connection.vendor == "postgresql" and self.count >= PARALLEL_FROM:
            self._write_parallel(chunks)
        else:
            for index, size in chunks:
                for model, columns, rows in self.chunk(index, size, reserve_ids):
                    insert_rows(model, columns, rows)
                self._progress(index)
            # the statistics and roll-ups that follow, planned for the rows just written (the parallel
            # path's bulk-checked block analyses them itself)
            analyze([model for model, _columns in self._TABLES])
        self.spent_writing = time.perf_counter() - started
        self._member_statistics()
        self.spent_statistics = time.perf_counter() - started - self.spent_writing

    def _progress(self, index: int) -> None:
        done = min((index + 1) * BATCH, self.count)
        if self.count >= 200_000 and done % 1_000_000 < BATCH:
            self.ctx.write(f"  orders: {done:,} / {self.count:,}")

    def _write_parallel(self, chunks: list[tuple[int, int]]) -> None:
        """A worker process (forked, so it has the members) makes the chunks and their ``COPY`` text, with ids
        from its own connection; this process copies them in, in the command's transaction, while the worker
        makes the next chunk (``made_by_worker``). The foreign keys are checked in bulk at the end
        (``foreign_keys_checked_in_bulk``) where the database user may, else at commit. (Checking them at the
        end of each ``COPY`` with ``SET CONSTRAINTS ALL IMMEDIATE`` was measured slower than at commit: 42 s
        against 18 s of writing plus about 13 s more at commit for 200,000 orders.) The text is made in the
        worker: sent as rows instead, this process spends the time saved there on writing them."""
        def produce(cursor: Any) -> Iterator[list[Table]]:
            reserve = partial(reserve_ids, cursor=cursor)
            for index, size in chunks:
                yield [Table(model, columns, copy_lines(rows)) for model, columns, rows in
                       self.chunk(index, size, reserve)]

        with foreign_keys_checked_in_bulk([model for model, _columns in self._TABLES]), \
                made_by_worker(produce) as made:
            for (index, _size), tables in zip(chunks, made, strict=True):
                write_tables(tables)
                self._progress(index)

    _TABLES = ((Order, ORDER_COLUMNS), (OrderLine, LINE_COLUMNS), (Payment, PAYMENT_COLUMNS),
               (Refund, REFUND_COLUMNS), (RefundLine, REFUND_LINE_COLUMNS), (RefundPayment, REFUND_PAYMENT_COLUMNS))

    def chunk(self, index: int, size: int, reserve: Reserve) -> list[tuple]:
        """Chunk ``index`` of the history: (model, columns, rows) of the orders, lines, payments, refunds,
        refund lines and refund payments, with ids from ``reserve``."""
        rng = random.Random(self.seed * 1_000_003 + index)
        random_, randint, choice = rng.random, rng.randint, rng.choice
        members, member_cumulative, member_total = self.members, self.member_cumulative, self.member_total
        products, store_ids, store_codes = self.products, self.store_ids, self.store_codes
        merchant_id, latest, when_of = self.merchant_id, self.latest, self._when
        sizes, quantities = (1, 1, 1, 2, 2, 3), (1, 1, 1, 2)
        local_days: dict = {}
        number = index * BATCH
        order_ids = reserve(Order, size)
        orders, payments, refunds = [], [], []
        lines: list[list] = []
        for order_id in order_ids:
            member = None
            if members and random_() < 0.75:
                member = members[bisect.bisect(member_cumulative, random_() * member_total)]
            store = member[2] if member and random_() < 0.7 else choice(store_ids)
            when = when_of(rng, member[1] if member else None)
            subtotal = payable = 0
            order_lines = []
            for pk, name, kind, unit, member_price, cost in rng.sample(products, choice(sizes)):
                qty = choice(quantities)
                member_unit = member_price if member else unit
                subtotal += qty * unit
                payable += qty * member_unit
                order_lines.append([None, order_id, pk, name, kind, qty, unit, member_unit, qty * unit,
                                    qty * (unit - member_unit), 0, "[]", 0, 0, qty * member_unit, 0, cost, 0, 0, 0,
                                    0, 0, 0])
            lines += order_lines
            fate = random_()
            refunded = 0
            refund_at = when + timedelta(days=randint(0, 10), hours=randint(0, 8))
            # about one in twenty comes back, in full or one line — unless that day has not come yet
            if (fate < 0.03 or (fate < 0.05 and len(order_lines) > 1)) and refund_at <= latest:
                back = order_lines if fate < 0.03 else order_lines[-1:]
                for line in back:
                    line[18], line[19] = line[5], line[14]  # refunded qty and amount
                    refunded += line[14]
                refunds.append([None, merchant_id, order_id, store, "顾客退货", refunded, 0, 0, 0, refund_at,
                                back, len(payments)])
            status = "paid" if not refunded else ("refunded" if refunded == payable else "partly_refunded")
            day = when.date()
            stamp = local_days.get(day)
            if stamp is None:
                stamp = local_days[day] = f"{day:%y%m%d}"
            number += 1
            orders.append((order_id, merchant_id, store, member[0] if member else None,
                           f"{store_codes[store]}-{stamp}-H{number:07d}", day, status, subtotal, subtotal - payable,
                           0, 0, 0, payable, 0, 0, "[]", refunded, 0, when))
            method = choice(METHODS)
            payments.append([None, order_id, method, payable, payable if method == "cash" else None, 0, "", "",
                             refunded, 0, 0])
        for line_id, line in zip(reserve(OrderLine, len(lines)), lines, strict=True):
            line[0] = line_id
        for payment_id, payment in zip(reserve(Payment, len(payments)), payments, strict=True):
            payment[0] = payment_id
        refund_lines, refund_payments = [], []
        for refund_id, refund in zip(reserve(Refund, len(refunds)), refunds, strict=True):
            refund[0] = refund_id
            for line in refund[10]:
                refund_lines.append((refund_id, line[0], line[18], line[19], 0, 0))
            refund_payments.append((refund_id, payments[refund[11]][0], refund[5], 0, 0, ""))
        return [(Order, ORDER_COLUMNS, orders), (OrderLine, LINE_COLUMNS, lines),
                (Payment, PAYMENT_COLUMNS, payments), (Refund, REFUND_COLUMNS, [r[:10] for r in refunds]),
                (RefundLine, REFUND_LINE_COLUMNS, refund_lines),
                (RefundPayment, REFUND_PAYMENT_COLUMNS, refund_payments)]

    def _member_statistics(self) -> None:
        """Orders, spend net of refunds and first/last visit of every member, from their orders: one pass
        over the orders grouped by member (members without orders get none)."""
        member = connection.ops.quote_name(Member._meta.db_table)
        order = connection.ops.quote_name(Order._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {member} SET order_count = s.n, total_spent_fen = s.spent, first_visit_at = s.first_at, "
                f"last_visit_at = s.last_at FROM (SELECT member_id, "
                f"SUM(CASE WHEN status = 'refunded' THEN 0 ELSE 1 END) AS n, "
                f"SUM(payable_fen - refunded_fen) AS spent, MIN(created_at) AS first_at, MAX(created_at) AS last_at "
                f"FROM {order} WHERE merchant_id = %s AND member_id IS NOT NULL GROUP BY member_id) AS s "
                f"WHERE {member}.id = s.member_id AND {member}.merchant_id = %s",
                [self.merchant_id, self.merchant_id])
        Member.objects.filter(~Exists(Order.objects.filter(member_id=OuterRef("pk"))), merchant=self.merchant).update(
            order_count=0, total_spent_fen=0, first_visit_at=None, last_visit_at=None)
