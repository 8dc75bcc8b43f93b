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

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.core.money import div_half_up
from mendian.core.time import day_bounds, local_date
from mendian.loyalty.models import PointsEntry
from mendian.members.models import Member
from mendian.pos.models import Order, OrderLine, Payment, Refund, RefundPayment
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.wallet.models import Recharge

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


def _sum(field: Any) -> Coalesce:
    return Coalesce(Sum(field), 0)


def orders_in(access: Access, period: Period, stores: frozenset[int] | None) -> QuerySet[Order]:
    return _in_stores(Order.objects.filter(merchant=access.merchant).filter(period.within("created_at")), stores)


def refunds_in(access: Access, period: Period, stores: frozenset[int] | None) -> QuerySet[Refund]:
    return _in_stores(Refund.objects.filter(merchant=access.merchant).filter(period.within("created_at")), stores)


def summary(*, access: Access, period: Period, stores: frozenset[int] | None) -> dict[str, Any]:
    """``GET /reports/summary`` exactly as API.md defines it."""
    access.require("reports.view")
    merchant = access.merchant
    orders = orders_in(access, period, stores)
    o = orders.order_by().aggregate(
        sales_fen=_sum("payable_fen"), orders=Count("id"), member_orders=Count("id", filter=Q(member__isnull=False)),
        member_sales_fen=Coalesce(Sum("payable_fen", filter=Q(member__isnull=False)), 0),
        coupon_discount_fen=_sum("coupon_discount_fen"))
    refunds = refunds_in(access, period, stores)
    refunds_fen = refunds.order_by().aggregate(total=_sum("amount_fen"))["total"]
    paid = defaultdict(int)
    for method, amount in (Payment.objects.filter(order__in=orders).order_by().values("method")
                           .annotate(total=Sum("amount_fen")).values_list("method", "total")):
        paid[method] += amount
    for method, amount in (RefundPayment.objects.filter(refund__in=refunds).order_by().values("payment__method")
                           .annotate(total=Sum("amount_fen")).values_list("payment__method", "total")):
        paid[method] -= amount
    recharges = _in_stores(Recharge.objects.filter(merchant=merchant).filter(period.within("created_at")), stores)
    r = recharges.order_by().aggregate(principal=_sum("pay_fen"), bonus=_sum("bonus_fen"))
    points = _in_stores(PointsEntry.objects.filter(merchant=merchant).filter(period.within("created_at")), stores)
    p = points.order_by().aggregate(
        earned=Coalesce(Sum("delta", filter=Q(reason=PointsEntry.Reason.EARN)), 0),
        redeemed=Coalesce(Sum("delta", filter=Q(reason=PointsEntry.Reason.REDEEM)), 0))
    members = _in_stores(Member.objects.filter(merchant=merchant).filter(period.within("created_at")), stores,
                         "registered_store_id")
    return {
        "date_from": period.date_from, "date_to": period.date_to,
        "sales_fen": o["sales_fen"], "refunds_fen": refunds_fen, "net_sales_fen": o["sales_fen"] - refunds_fen,
        "orders": o["orders"], "member_orders": o["member_orders"], "member_sales_fen": o["member_sales_fen"],
        "average_ticket_fen": div_half_up(o["sales_fen"], o["orders"]) if o["orders"] else 0,
        "new_members": members.count(),
        "recharge_principal_fen": r["principal"], "recharge_bonus_fen": r["bonus"],
        "stored_value_spent_fen": paid.get("stored_value", 0),
        "points_earned": p["earned"], "points_redeemed": -p["redeemed"],
        "coupon_discount_fen": o["coupon_discount_fen"],
        "by_payment_method": dict(sorted(paid.items())),
    }


# --- the dashboards -------------------------------------------------------------------------------

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


def headline(*, access: Access, period: Period, stores: frozenset[int] | None) -> dict[str, Any]:
    """The summary plus the dashboard's own figures: walk-in orders, active members, repeat rate and
    the member share of sales."""
    figures = summary(access=access, period=period, stores=stores)
    per_member = (orders_in(access, period, stores).filter(member__isnull=False).exclude(status=Order.Status.REFUNDED)
                  .order_by().values("member_id").annotate(n=Count("id")))
    active = per_member.count()
    repeat = per_member.filter(n__gte=2).count()
    figures.update({
        "walk_in_orders": figures["orders"] - figures["member_orders"],
        "active_members": active, "repeat_members": repeat, "repeat_rate_pct": _share(repeat, active),
        "member_share_pct": _share(figures["member_sales_fen"], figures["sales_fen"]),
    })
    return figures


def series(*, access: Access, period: Period, stores: frozenset[int] | None, grain: str) -> dict[str, Any]:
    """Sales, orders, member sales, refunds, new members, recharges and stored value spent per day,
    week or month (the merchant's local days)."""
    access.require("reports.view")
    if grain not in GRAINS:
        raise InvalidInput("invalid_grain", _("Show by day, week or month."), field="grain")
    buckets = _buckets(period, grain)
    index = {b: i for i, b in enumerate(buckets)}
    names = ("sales_fen", "orders", "member_sales_fen", "refunds_fen", "new_members", "recharge_principal_fen",
             "stored_value_spent_fen")
    out: dict[str, list[int]] = {name: [0] * len(buckets) for name in names}
    tz = period.tz_name

    def add(name: str, day: date, amount: int | None) -> None:
        out[name][index[_bucket(day, grain)]] += amount or 0

    # Grouped by the merchant's local day in the database; a period has at most a few hundred days.
    def by_day(queryset: QuerySet, field: str = "created_at", **figures: Any) -> QuerySet:
        return queryset.order_by().annotate(day=TruncDate(field, tzinfo=ZoneInfo(tz))).values("day") \
            .annotate(**figures)

    for row in by_day(orders_in(access, period, stores), sales=Sum("payable_fen"), orders=Count("id"),
                      member_sales=Sum("payable_fen", filter=Q(member__isnull=False))):
        add("sales_fen", row["day"], row["sales"])
        add("orders", row["day"], row["orders"])
        add("member_sales_fen", row["day"], row["member_sales"])
    for row in by_day(refunds_in(access, period, stores), amount=Sum("amount_fen")):
        add("refunds_fen", row["day"], row["amount"])
    joined = _in_stores(Member.objects.filter(merchant=access.merchant).filter(period.within("created_at")), stores,
                        "registered_store_id")
    for row in by_day(joined, n=Count("id")):
        add("new_members", row["day"], row["n"])
    recharged = _in_stores(Recharge.objects.filter(merchant=access.merchant).filter(period.within("created_at")),
                           stores)
    for row in by_day(recharged, amount=Sum("pay_fen")):
        add("recharge_principal_fen", row["day"], row["amount"])
    spent = Payment.objects.filter(order__in=orders_in(access, period, stores), method="stored_value")
    for row in by_day(spent, "order__created_at", amount=Sum("amount_fen")):
        add("stored_value_spent_fen", row["day"], row["amount"])
    given_back = RefundPayment.objects.filter(refund__in=refunds_in(access, period, stores),
                                              payment__method="stored_value")
    for row in by_day(given_back, "refund__created_at", amount=Sum("amount_fen")):
        add("stored_value_spent_fen", row["day"], -(row["amount"] or 0))
    return {"grain": grain, "buckets": [b.isoformat() for b in buckets], **out}


def breakdown(*, access: Access, period: Period, stores: frozenset[int] | None, by: str) -> list[dict[str, Any]]:
    """Sales of the orders placed in the period per store, city, category (of the lines) or member level
    (the member's level now; walk-ins apart), biggest first."""
    access.require("reports.view")
    orders = orders_in(access, period, stores).order_by()
    if by in ("store", "city"):
        key = "store__name" if by == "store" else "store__city"
        rows = orders.values(key).annotate(sales_fen=Sum("payable_fen"), orders=Count("id"),
                                           member_sales_fen=_sum_member()).values_list(key, "sales_fen", "orders",
                                                                                       "member_sales_fen")
        merged: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for name, sales, count, member_sales in rows:
            label = name or str(_("No city"))
            merged[label][0] += sales
            merged[label][1] += count
            merged[label][2] += member_sales
        result = [{"name": k, "sales_fen": v[0], "orders": v[1], "member_sales_fen": v[2]} for k, v in merged.items()]
    elif by == "category":
        lines = OrderLine.objects.filter(order__in=orders).order_by().values("product__category__name") \
            .annotate(sales_fen=Sum("payable_fen"), qty=Sum("qty"), orders=Count("order_id", distinct=True))
        result = [{"name": row["product__category__name"] or str(_("No category")), "sales_fen": row["sales_fen"],
                   "qty": row["qty"], "orders": row["orders"]} for row in lines]
    elif by == "level":
        rows = orders.values("member__loyalty__level__name", "member_id").annotate(s=Sum("payable_fen"), n=Count("id"))
        merged2: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in rows:
            walk_in = row["member_id"] is None
            label = str(_("Walk-in customers")) if walk_in else (row["member__loyalty__level__name"]
                                                                  or str(_("No level")))
            merged2[label][0] += row["s"]
            merged2[label][1] += row["n"]
            merged2[label][2] += 0 if walk_in else 1
        result = [{"name": k, "sales_fen": v[0], "orders": v[1], "members": v[2]} for k, v in merged2.items()]
    else:
        raise InvalidInput("invalid_breakdown", _("Break down by store, city, category or level."), field="by")
    return sorted(result, key=lambda row: (-row["sales_fen"], row["name"]))


def _sum_member() -> Coalesce:
    return Coalesce(Sum("payable_fen", filter=Q(member__isnull=False)), 0)


def method_labels() -> list[tuple[str, Any]]:
    from mendian.wallet.models import PaymentMethod

    return list(PaymentMethod.choices)


def takings(*, access: Access, period: Period, stores: frozenset[int] | None) -> list[dict[str, Any]]:
    """对账: per store and local day, the money taken by payment method — sales (payments of the orders
    placed that day less the refunds made that day) and recharges apart — for the finance page."""
    access.require("reports.finance")
    tz = period.tz_name
    rows: dict[tuple[date, int], dict[str, Any]] = {}
    names = dict(Store.objects.filter(merchant=access.merchant).values_list("pk", "name"))

    def row(when: datetime, store_id: int) -> dict[str, Any]:
        key = (local_date(when, tz), store_id)
        if key not in rows:
            rows[key] = {"day": key[0], "store_id": store_id, "store": names.get(store_id, ""),
                         "sales": defaultdict(int), "recharges": defaultdict(int)}
        return rows[key]

    for when, store_id, method, amount in Payment.objects.filter(order__in=orders_in(access, period, stores)) \
            .values_list("order__created_at", "order__store_id", "method", "amount_fen").iterator(5000):
        row(when, store_id)["sales"][method] += amount
    for when, store_id, method, amount in RefundPayment.objects.filter(refund__in=refunds_in(access, period, stores)) \
            .values_list("refund__created_at", "refund__store_id", "payment__method", "amount_fen").iterator(5000):
        row(when, store_id)["sales"][method] -= amount
    recharges = _in_stores(Recharge.objects.filter(merchant=access.merchant).filter(period.within("created_at")),
                           stores)
    for when, store_id, method, amount in recharges.values_list("created_at", "store_id", "payment_method",
                                                                "pay_fen").iterator(5000):
        row(when, store_id)["recharges"][method] += amount
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
