"""Daily roll-ups of the figures the dashboards sum (per store and local day), exact at every moment.

Each *cube* is one question asked of the orders, refunds, payments, lines, members, recharges and points
ledger, grouped by store and the merchant's local day (and a key such as the payment method): its
``live`` function answers it from those rows for a range of days. The nightly job (``rollup``) stores
the answers for closed days — days that ended an hour ago or more — in the cube's table, replacing what
was there; ``cube_rows`` then reads the stored rows up to the last closed day and asks ``live`` for the
days after it (today, and any day the job has not reached). A closed day's rows never change afterwards:
an order's store, day, lines and payments are fixed when it is paid, and a refund or a recharge counts on
the day it is made, so nothing that happens later belongs to a closed day. Both paths run the same
``live`` code, so a roll-up is the live answer written down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from mendian.core.db import analytic_memo
from mendian.core.time import day_bounds, local_date
from mendian.loyalty.models import PointsEntry
from mendian.members.models import Member
from mendian.pos.models import Order, OrderLine, Payment, Refund, RefundPayment
from mendian.tenancy.models import Merchant
from mendian.wallet.models import Recharge

from .models import DayCategory, DayLevel, DaySales, DayTakings, RollupState

Row = dict[str, Any]
CLOSE_AFTER = timedelta(hours=1)  # a day is rolled up once it has been over this long


@dataclass(frozen=True)
class Range:
    """Local days ``first``–``last`` of a merchant, and the stores asked about (None: all, and rows with
    no store)."""

    merchant_id: int
    tz_name: str
    first: date
    last: date
    stores: frozenset[int] | None = None

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": day_bounds(self.first, self.tz_name)[0],
                    f"{field}__lt": day_bounds(self.last, self.tz_name)[1]})

    def by_day(self, queryset: QuerySet, time_field: str, store_field: str, *keys: str, **measures: Any) -> QuerySet:
        queryset = queryset.filter(self.within(time_field))
        if self.stores is not None:
            queryset = queryset.filter(**{f"{store_field}__in": self.stores})
        return (queryset.order_by().annotate(day=TruncDate(time_field, tzinfo=ZoneInfo(self.tz_name)),
                                             shop=F(store_field))
                .values("shop", "day", *keys).annotate(**measures))


@dataclass(frozen=True)
class Cube:
    model: type[models.Model]
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    live: Callable[[Range], Iterable[Row]]


def _merge(rows: Iterable[Row], keys: tuple[str, ...], measures: tuple[str, ...]) -> list[Row]:
    """Rows of several queries added up by (store, day, keys); missing measures are 0."""
    merged: dict[tuple, Row] = {}
    for row in rows:
        key = (row["shop"], row["day"], *(row[k] for k in keys))
        into = merged.setdefault(key, {"shop": row["shop"], "day": row["day"], **{k: row[k] for k in keys},
                                       **dict.fromkeys(measures, 0)})
        for name in measures:
            into[name] += row.get(name) or 0
    return list(merged.values())


SALES_MEASURES = ("orders", "sales_fen", "member_orders", "member_sales_fen", "coupon_discount_fen", "refunds_fen",
                  "new_members", "recharge_principal_fen", "recharge_bonus_fen", "points_earned", "points_redeemed")


def _sales(r: Range) -> list[Row]:
    member = Q(member__isnull=False)
    rows: list[Row] = []
    rows += r.by_day(Order.objects.filter(merchant_id=r.merchant_id), "created_at", "store_id",
                     orders=Count("id"), sales_fen=Sum("payable_fen"), member_orders=Count("id", filter=member),
                     member_sales_fen=Sum("payable_fen", filter=member), coupon_discount_fen=Sum("coupon_discount_fen"))
    rows += r.by_day(Refund.objects.filter(merchant_id=r.merchant_id), "created_at", "store_id",
                     refunds_fen=Sum("amount_fen"))
    rows += r.by_day(Member.objects.filter(merchant_id=r.merchant_id), "created_at", "registered_store_id",
                     new_members=Count("id"))
    rows += r.by_day(Recharge.objects.filter(merchant_id=r.merchant_id), "created_at", "store_id",
                     recharge_principal_fen=Sum("pay_fen"), recharge_bonus_fen=Sum("bonus_fen"))
    points = r.by_day(PointsEntry.objects.filter(merchant_id=r.merchant_id), "created_at", "store_id",
                      earned=Sum("delta", filter=Q(reason=PointsEntry.Reason.EARN)),
                      redeemed=Sum("delta", filter=Q(reason=PointsEntry.Reason.REDEEM)))
    rows += [{**p, "points_earned": p["earned"], "points_redeemed": -(p["redeemed"] or 0)} for p in points]
    return _merge(rows, (), SALES_MEASURES)


def _takings(r: Range) -> list[Row]:
    paid = r.by_day(Payment.objects.filter(order__merchant_id=r.merchant_id), "order__created_at", "order__store_id",
                    "method", paid_fen=Sum("amount_fen"))
    back = r.by_day(RefundPayment.objects.filter(refund__merchant_id=r.merchant_id), "refund__created_at",
                    "refund__store_id", "payment__method", refunded_fen=Sum("amount_fen"))
    rows = list(paid) + [{**b, "method": b["payment__method"]} for b in back]
    return _merge(rows, ("method",), ("paid_fen", "refunded_fen"))


def _categories(r: Range) -> list[Row]:
    lines = r.by_day(OrderLine.objects.filter(order__merchant_id=r.merchant_id), "order__created_at",
                     "order__store_id", "product__category_id", sales_fen=Sum("payable_fen"), qty=Sum("qty"),
                     orders=Count("order_id", distinct=True))
    return _merge(({**row, "category_id": row["product__category_id"]} for row in lines), ("category_id",),
                  ("sales_fen", "qty", "orders"))


def _levels(r: Range) -> list[Row]:
    """Sales by the member's level when the day is taken (walk-ins apart): close to the level at purchase."""
    orders = Order.objects.filter(merchant_id=r.merchant_id)
    members = r.by_day(orders.filter(member__isnull=False), "created_at", "store_id", "member__loyalty__level_id",
                       sales_fen=Sum("payable_fen"), orders=Count("id"))
    walk_ins = r.by_day(orders.filter(member__isnull=True), "created_at", "store_id", sales_fen=Sum("payable_fen"),
                        orders=Count("id"))
    rows = [{**row, "walk_in": False, "level_id": row["member__loyalty__level_id"]} for row in members]
    rows += [{**row, "walk_in": True, "level_id": None} for row in walk_ins]
    return _merge(rows, ("walk_in", "level_id"), ("sales_fen", "orders"))


SALES = Cube(DaySales, (), SALES_MEASURES, _sales)
TAKINGS = Cube(DayTakings, ("method",), ("paid_fen", "refunded_fen"), _takings)
CATEGORIES = Cube(DayCategory, ("category_id",), ("sales_fen", "qty", "orders"), _categories)
LEVELS = Cube(DayLevel, ("walk_in", "level_id"), ("sales_fen", "orders"), _levels)
CUBES = (SALES, TAKINGS, CATEGORIES, LEVELS)


def closed_through(merchant_id: int) -> date | None:
    return RollupState.objects.filter(merchant_id=merchant_id).values_list("closed_through", flat=True).first()


def cube_rows(cube: Cube, r: Range) -> list[Row]:
    """The cube's rows for the range: stored for closed days, live for the others (asked once per
    ``analytic_queries`` block)."""
    memo = analytic_memo()
    if memo is None:
        return _cube_rows(cube, r)
    key = ("cube", cube.model.__name__, r)
    if key not in memo:
        memo[key] = _cube_rows(cube, r)
    return [dict(row) for row in memo[key]]


def _cube_rows(cube: Cube, r: Range) -> list[Row]:
    closed = closed_through(r.merchant_id)
    rows: list[Row] = []
    if closed is not None and r.first <= closed:
        stored = cube.model.objects.filter(merchant_id=r.merchant_id, day__gte=r.first, day__lte=min(r.last, closed))
        if r.stores is not None:
            stored = stored.filter(store_id__in=r.stores)
        rows += [{**row, "shop": row.pop("store_id")}
                 for row in stored.values("store_id", "day", *cube.keys, *cube.measures)]
    first_live = r.first if closed is None else max(r.first, closed + timedelta(days=1))
    if first_live <= r.last:
        rows += cube.live(Range(r.merchant_id, r.tz_name, first_live, r.last, r.stores))
    return rows


def _first_day(merchant: Merchant) -> date:
    """The first local day with anything to roll up."""
    firsts = [merchant.created_at]
    for model in (Order, Refund, Member, Recharge, PointsEntry):
        first = model.objects.filter(merchant_id=merchant.pk).aggregate(t=Min("created_at"))["t"]
        if first is not None:
            firsts.append(first)
    return local_date(min(firsts), merchant.timezone)


def rollup(*, merchant: Merchant, now: Any = None) -> int:
    """Store the cubes of every closed day not stored yet (the nightly job); how many days were stored."""
    now = now or timezone.now()
    last = local_date(now - CLOSE_AFTER, merchant.timezone) - timedelta(days=1)
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(merchant=merchant)
        first = state.closed_through + timedelta(days=1) if state.closed_through else _first_day(merchant)
        if first > last:
            return 0
        r = Range(merchant.pk, merchant.timezone, first, last)
        for cube in CUBES:
            cube.model.objects.filter(merchant=merchant, day__gte=first, day__lte=last).delete()
            cube.model.objects.bulk_create(
                [cube.model(merchant=merchant, store_id=row["shop"], day=row["day"], **{k: row[k] for k in cube.keys},
                            **{m: row[m] for m in cube.measures}) for row in cube.live(r)],
                batch_size=2000)
        state.closed_through = last
        state.save(update_fields=["closed_through"])
    return (last - first).days + 1


def rollup_forget(*, merchant_id: int, since: date) -> None:
    """Drop the stored days from ``since`` on (data was written into them afterwards, e.g. an import of old
    orders): reports read those days live until the next nightly run stores them again. The members' facts
    are set aside too (``facts.py``)."""
    from .facts import facts_forget

    with transaction.atomic():
        state = RollupState.objects.select_for_update().filter(merchant_id=merchant_id).first()
        if state is None or state.closed_through is None or state.closed_through < since:
            facts_forget(merchant_id=merchant_id)
            return
        for cube in CUBES:
            cube.model.objects.filter(merchant_id=merchant_id, day__gte=since).delete()
        state.closed_through = since - timedelta(days=1)
        state.save(update_fields=["closed_through"])
    facts_forget(merchant_id=merchant_id)


def totals(rows: Iterable[Row], measures: tuple[str, ...], *keys: str) -> dict[Any, Row]:
    """Rows added up by ``keys`` (none: one total under the key ``None``); a row's store is ``shop``."""
    out: dict[Any, Row] = defaultdict(lambda: dict.fromkeys(measures, 0))
    for row in rows:
        key = tuple(row[k] for k in keys) if len(keys) > 1 else (row[keys[0]] if keys else None)
        for name in measures:
            out[key][name] += row.get(name) or 0
    return out
