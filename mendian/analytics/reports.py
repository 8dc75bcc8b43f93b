"""The figures of the dashboards and ``GET /reports/summary`` (API.md), read from orders and ledgers.

Every figure is a sum of rows, over the merchant's local days ``[date_from, date_to]``:
- sales, orders, member orders and sales, coupon discount, points used: orders placed in the period;
- refunds: refunds made in the period (of orders placed whenever);
- takings by payment method: payments of the orders placed in the period, less what refunds made in
  the period gave back to each method (recharges are reported apart);
- stored value spent: the stored-value payments of those orders less what refunds gave back to it;
- recharges: recharges made in the period (principal paid, bonus given);
- points earned and redeemed: entries of the points ledger in the period;
- new members: members who joined in the period (registered in the stores in view).
A store-bound caller sees their stores only; ``store_id`` narrows to one store they may see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Category
from mendian.core.errors import InvalidInput, NotFound
from mendian.core.money import div_half_up
from mendian.core.time import day_bounds, local_date
from mendian.loyalty.models import Level
from mendian.pos.models import Order
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.wallet.models import Recharge

from .facts import current_facts
from .rollups import CATEGORIES, LEVELS, SALES, TAKINGS, Range, cube_rows, totals

MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date
    tz_name: str

    @property
    def start(self) -> datetime:
        return day_bounds(self.date_from, self.tz_name)[0]

    @property
    def end(self) -> datetime:
        return day_bounds(self.date_to, self.tz_name)[1]

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Period:
        """The period of the same length just before (the comparison)."""
        return Period(self.date_from - timedelta(days=self.days), self.date_from - timedelta(days=1), self.tz_name)

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def period_of(access: Access, date_from: date | None, date_to: date | None) -> Period:
    if date_from is None or date_to is None:
        raise InvalidInput("period_required", _("Give the first and the last day."), field="date_from")
    if date_to < date_from:
        raise InvalidInput("invalid_period", _("The period ends before it starts."), field="date_to")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise InvalidInput("period_too_long", _("At most two years at a time."), field="date_to")
    return Period(date_from, date_to, access.merchant.timezone)


def stores_in_view(access: Access, store_id: int | None) -> frozenset[int] | None:
    """The stores a report covers (None: all): one store the caller may see, or all theirs."""
    if store_id is not None:
        access.require_store(store_id)
        if not Store.objects.filter(merchant=access.merchant, pk=store_id).exists():
            raise NotFound("store_not_found", _("Store not found."))
        return frozenset([store_id])
    return access.store_ids


def _in_stores(queryset: QuerySet, stores: frozenset[int] | None, field: str = "store_id") -> QuerySet:
    return queryset if stores is None else queryset.filter(**{f"{field}__in": stores})


def orders_in(access: Access, period: Period, stores: frozenset[int] | None) -> QuerySet[Order]:
    return _in_stores(Order.objects.filter(merchant=access.merchant).filter(period.within("created_at")), stores)


def cube_range(access: Access, period: Period, stores: frozenset[int] | None) -> Range:
    return Range(access.merchant.pk, period.tz_name, period.date_from, period.date_to, stores)


def _by_method(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Money received by method, net of what refunds gave back."""
    paid: dict[str, int] = defaultdict(int)
    for row in rows:
        paid[row["method"]] += (row["paid_fen"] or 0) - (row["refunded_fen"] or 0)
    return dict(sorted(paid.items()))


def summary(*, access: Access, period: Period, stores: frozenset[int] | None) -> dict[str, Any]:
    """``GET /reports/summary`` exactly as API.md defines it (from the day roll-ups and today's rows)."""
    access.require("reports.view")
    r = cube_range(access, period, stores)
    o = totals(cube_rows(SALES, r), SALES.measures)[None]
    paid = _by_method(cube_rows(TAKINGS, r))
    return {
        "date_from": period.date_from, "date_to": period.date_to,
        "sales_fen": o["sales_fen"], "refunds_fen": o["refunds_fen"],
        "net_sales_fen": o["sales_fen"] - o["refunds_fen"],
        "orders": o["orders"], "member_orders": o["member_orders"], "member_sales_fen": o["member_sales_fen"],
        "average_ticket_fen": div_half_up(o["sales_fen"], o["orders"]) if o["orders"] else 0,
        "new_members": o["new_members"],
        "recharge_principal_fen": o["recharge_principal_fen"], "recharge_bonus_fen": o["recharge_bonus_fen"],
        "stored_value_spent_fen": paid.get("stored_value", 0),
        "points_earned": o["points_earned"], "points_redeemed": o["points_redeemed"],
        "coupon_discount_fen": o["coupon_discount_fen"],
        "by_payment_method": paid,
    }


GRAINS = ("day", "week", "month")


def _bucket(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _buckets(period: Period, grain: str) -> list[date]:
    out: list[date] = []
    day = period.date_from
    while day <= period.date_to:
        bucket = _bucket(day, grain)
        if not out or out[-1] != bucket:
            out.append(bucket)
        day += timedelta(days=1)
    return out


def _share(part: int, whole: int) -> float | None:
    """A share in percent with one decimal, or None when there is nothing to share."""
    return round(part * 100 / whole, 1) if whole else None


def _active_and_repeat(access: Access, periods: list[Period], stores: frozenset[int] | None, *,
                       now: datetime | None = None, use_facts: bool = True) -> list[tuple[int, int]]:
    """For each period: the members with an order in it (not refunded in full), and those with two or
    more — all periods in one pass over their orders (they are adjacent: this one and the one before).
    The last 7, 30 or 90 days and the ones before, over all stores, come from the members' facts."""
    span = Period(min(p.date_from for p in periods), max(p.date_to for p in periods), periods[0].tz_name)
    counts = {f"n{i}": Count("id", filter=Q(created_at__gte=p.start, created_at__lt=p.end))
              for i, p in enumerate(periods)}
    per_member = (orders_in(access, span, stores).filter(member__isnull=False).exclude(status=Order.Status.REFUNDED)
                  .order_by().values("member_id").annotate(**counts))
    now = now or timezone.now()
    if use_facts and stores is None and len(periods) == 2 and periods[1] == periods[0].previous() \
            and periods[0].date_to == local_date(now, periods[0].tz_name):
        facts = current_facts(access.merchant.pk, periods[0].tz_name, now)
        answer = facts.active_and_repeat(periods[0].days, per_member) if facts else None
        if answer is not None:
            return answer
    sql, params = per_member.query.sql_with_params()
    columns = ", ".join(f"COALESCE(SUM(CASE WHEN n{i} >= 1 THEN 1 ELSE 0 END), 0), "
                        f"COALESCE(SUM(CASE WHEN n{i} >= 2 THEN 1 ELSE 0 END), 0)" for i in range(len(periods)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM ({sql}) counted", params)
        row = cursor.fetchone()
    return [(int(row[2 * i]), int(row[2 * i + 1])) for i in range(len(periods))]


def headlines(*, access: Access, period: Period, stores: frozenset[int] | None) -> tuple[dict[str, Any], ...]:
    """The summary of the period and of the one before, each with the dashboard's own figures: walk-in
    orders, active members, repeat rate and the member share of sales."""
    periods = [period, period.previous()]
    out = []
    for p, (active, repeat) in zip(periods, _active_and_repeat(access, periods, stores), strict=True):
        figures = summary(access=access, period=p, stores=stores)
        figures.update({
            "walk_in_orders": figures["orders"] - figures["member_orders"],
            "active_members": active, "repeat_members": repeat, "repeat_rate_pct": _share(repeat, active),
            "member_share_pct": _share(figures["member_sales_fen"], figures["sales_fen"]),
        })
        out.append(figures)
    return tuple(out)


def series(*, access: Access, period: Period, stores: frozenset[int] | None, grain: str) -> dict[str, Any]:
    """Sales, orders, member sales, refunds, new members, recharges and stored value spent per day,
    week or month (the merchant's local days)."""
    access.require("reports.view")
    if grain not in GRAINS:
        raise InvalidInput("invalid_grain", _("Show by day, week or month."), field="grain")
    buckets = _buckets(period, grain)
    index = {b: i for i, b in enumerate(buckets)}
    names = ("sales_fen", "orders", "member_sales_fen", "refunds_fen", "new_members", "recharge_principal_fen")
    out: dict[str, list[int]] = {name: [0] * len(buckets) for name in (*names, "stored_value_spent_fen")}
    r = cube_range(access, period, stores)
    for row in cube_rows(SALES, r):
        at = index[_bucket(row["day"], grain)]
        for name in names:
            out[name][at] += row[name] or 0
    for row in cube_rows(TAKINGS, r):
        if row["method"] == "stored_value":
            out["stored_value_spent_fen"][index[_bucket(row["day"], grain)]] += \
                (row["paid_fen"] or 0) - (row["refunded_fen"] or 0)
    return {"grain": grain, "buckets": [b.isoformat() for b in buckets], **out}


def breakdown(*, access: Access, period: Period, stores: frozenset[int] | None, by: str) -> list[dict[str, Any]]:
    """Sales of the orders placed in the period per store, city, category (of the lines) or member level
    (walk-ins apart), biggest first."""
    access.require("reports.view")
    r = cube_range(access, period, stores)
    if by in ("store", "city"):
        per_store = totals(cube_rows(SALES, r), ("sales_fen", "orders", "member_sales_fen"), "shop")
        shops = {s.pk: s for s in Store.objects.filter(merchant=access.merchant)}
        merged: dict[str, dict[str, int]] = defaultdict(lambda: {"sales_fen": 0, "orders": 0, "member_sales_fen": 0})
        for store_id, figures in per_store.items():
            shop = shops.get(store_id)
            if shop is None or not figures["orders"]:
                continue
            name = shop.name if by == "store" else (shop.city or str(_("No city")))
            for k, v in figures.items():
                merged[name][k] += v
        result = [{"name": name, **figures} for name, figures in merged.items()]
    elif by == "category":
        per_category = totals(cube_rows(CATEGORIES, r), ("sales_fen", "qty", "orders"), "category_id")
        names = dict(Category.objects.filter(merchant=access.merchant).values_list("pk", "name"))
        result = [{"name": names.get(category_id) or str(_("No category")), **figures}
                  for category_id, figures in per_category.items() if figures["orders"]]
    elif by == "level":
        per_level = totals(cube_rows(LEVELS, r), ("sales_fen", "orders"), "walk_in", "level_id")
        names = dict(Level.objects.filter(merchant=access.merchant).values_list("pk", "name"))
        merged2: dict[str, dict[str, int]] = defaultdict(lambda: {"sales_fen": 0, "orders": 0})
        for (walk_in, level_id), figures in per_level.items():
            name = str(_("Walk-in customers")) if walk_in else (names.get(level_id) or str(_("No level")))
            for k, v in figures.items():
                merged2[name][k] += v
        result = [{"name": name, **figures} for name, figures in merged2.items() if figures["orders"]]
    else:
        raise InvalidInput("invalid_breakdown", _("Break down by store, city, category or level."), field="by")
    return sorted(result, key=lambda row: (-row["sales_fen"], row["name"]))


def method_labels() -> list[tuple[str, Any]]:
    from mendian.wallet.models import PaymentMethod

    return list(PaymentMethod.choices)


def takings(*, access: Access, period: Period, stores: frozenset[int] | None) -> list[dict[str, Any]]:
    """对账: per store and local day, the money taken by payment method — sales (payments of the orders
    placed that day less the refunds made that day) and recharges apart — for the finance page."""
    access.require("reports.finance")
    names = dict(Store.objects.filter(merchant=access.merchant).values_list("pk", "name"))
    rows: dict[tuple[date, int], dict[str, Any]] = {}

    def row(day: date, store_id: int) -> dict[str, Any]:
        if (day, store_id) not in rows:
            rows[(day, store_id)] = {"day": day, "store_id": store_id, "store": names.get(store_id, ""),
                                     "sales": defaultdict(int), "recharges": defaultdict(int)}
        return rows[(day, store_id)]

    for t in cube_rows(TAKINGS, cube_range(access, period, stores)):
        row(t["day"], t["shop"])["sales"][t["method"]] += (t["paid_fen"] or 0) - (t["refunded_fen"] or 0)
    recharges = _in_stores(Recharge.objects.filter(merchant=access.merchant).filter(period.within("created_at")),
                           stores)
    for recharge in (recharges.order_by().annotate(day=TruncDate("created_at", tzinfo=ZoneInfo(period.tz_name)))
                     .values("day", "store_id", "payment_method").annotate(amount=Sum("pay_fen"))):
        row(recharge["day"], recharge["store_id"])["recharges"][recharge["payment_method"]] += recharge["amount"]
    out = sorted(rows.values(), key=lambda r: (r["day"], r["store"]))
    for r in out:
        r["sales"], r["recharges"] = dict(r["sales"]), dict(r["recharges"])
        r["sales_total"], r["recharges_total"] = sum(r["sales"].values()), sum(r["recharges"].values())
    return out


def card_consumption(*, access: Access, period: Period, stores: frozenset[int] | None) -> list[dict[str, Any]]:
    """Cards used per store and local day: uses net of uses given back, and the value they consumed of
    what the members paid for the cards (counted services only; a period card's uses have no unit value)."""
    from mendian.cards.models import CardBalance, CardUse, MemberCard
    from mendian.cards.values import value_per_use

    access.require("reports.finance")
    entries = _in_stores(CardUse.objects.filter(merchant=access.merchant, kind__in=(CardUse.Kind.USE,
                                                                                    CardUse.Kind.REVERSE))
                         .filter(period.within("created_at")), stores)
    sign = Case(When(kind=CardUse.Kind.REVERSE, then=Value(-1)), default=Value(1))
    grouped = list(entries.order_by().annotate(day=TruncDate("created_at", tzinfo=ZoneInfo(period.tz_name)))
                   .values("day", "store__name", "card_id", "balance_id").annotate(uses=Sum(sign * F("qty"))))
    cards = MemberCard.objects.in_bulk({g["card_id"] for g in grouped})
    balances: dict[int, list[CardBalance]] = defaultdict(list)
    for balance in CardBalance.objects.filter(card_id__in=cards):
        balances[balance.card_id].append(balance)
    rows: dict[tuple[date, str], dict[str, Any]] = {}
    for g in grouped:
        row = rows.setdefault((g["day"], g["store__name"]), {"day": g["day"], "store": g["store__name"], "uses": 0,
                                                             "value_fen": 0})
        row["uses"] += g["uses"] or 0
        mine = balances[g["card_id"]]
        balance = next((b for b in mine if b.pk == g["balance_id"]), None)
        value = value_per_use(card=cards[g["card_id"]], balances=mine, balance=balance) if balance else None
        row["value_fen"] += (value or 0) * (g["uses"] or 0)
    return [rows[key] for key in sorted(rows)]
