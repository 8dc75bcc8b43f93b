"""Results (活动效果) of coupons and promotions: issued, claimed, used, expired, redemption rate, the
discount given (让利), the sales of the orders that used them, the new members and repeat purchases
they brought — per day and per store, counted from the coupons, order lines and recharges."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput
from mendian.core.time import day_bounds
from mendian.pos.models import Order, OrderLine
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.wallet.models import Recharge

from .models import Coupon, CouponTemplate, Promotion


def _period(access: Access, date_from: date, date_to: date) -> tuple[Any, Any]:
    if date_to < date_from:
        raise InvalidInput("invalid_period", _("The period ends before it starts."), field="date_to")
    if (date_to - date_from).days > 366:
        raise InvalidInput("period_too_long", _("Choose at most a year."), field="date_from")
    return day_bounds(date_from, access.merchant.timezone)[0], day_bounds(date_to, access.merchant.timezone)[1]


def _orders_brought(orders: QuerySet[Order]) -> dict[str, int]:
    """Sales (net of refunds) of these orders, the members whose first order it was, and the members who
    bought again afterwards."""
    later = Order.objects.filter(member_id=OuterRef("member_id"), created_at__gt=OuterRef("created_at"))
    figures = orders.aggregate(
        orders=Count("id"), gmv=Sum(F("payable_fen") - F("refunded_fen")),
        new_members=Count("member_id", distinct=True, filter=Q(member__first_visit_at=F("created_at"))),
    )
    figures["repeat_members"] = orders.filter(Exists(later)).values("member_id").distinct().count()
    return {k: v or 0 for k, v in figures.items()}


def _store_names(access: Access) -> dict[int, str]:
    return dict(Store.objects.filter(merchant=access.merchant).values_list("pk", "name"))


def _rows(by_key: dict[Any, dict[str, int]], key_name: str) -> list[dict[str, Any]]:
    return [{key_name: key, **values} for key, values in sorted(by_key.items(), key=lambda kv: str(kv[0]))]


def coupon_results(*, access: Access, template: CouponTemplate, date_from: date, date_to: date) -> dict[str, Any]:
    access.require("coupons.view")
    start, end = _period(access, date_from, date_to)
    coupons = Coupon.objects.filter(merchant=access.merchant, template=template)
    used = coupons.filter(status=Coupon.Status.USED, used_at__gte=start, used_at__lt=end)
    if access.store_ids is not None:
        used = used.filter(used_store_id__in=access.store_ids)
    issued = coupons.filter(issued_at__gte=start, issued_at__lt=end)
    now = timezone.now()
    totals = {
        "issued": issued.count(),
        "claimed": issued.filter(source=Coupon.Source.CLAIM).count(),
        "used": used.count(),
        "expired": coupons.filter(status=Coupon.Status.UNUSED, valid_until__gte=start,
                                  valid_until__lt=min(end, now)).count(),
        "discount_fen": used.aggregate(s=Sum("discount_fen"))["s"] or 0,
    }
    totals["redemption_pct"] = round(100 * totals["used"] / totals["issued"]) if totals["issued"] else 0
    orders = Order.objects.filter(merchant=access.merchant, pk__in=used.values("order_id"))
    brought = _orders_brought(orders)
    totals.update(gmv_fen=brought["gmv"], new_members=brought["new_members"], repeat_members=brought["repeat_members"])
    zone = access.merchant.timezone
    days: dict[str, dict[str, int]] = {}
    for row in issued.annotate(day=TruncDate("issued_at", tzinfo=_zone(zone))).values("day").annotate(n=Count("id")):
        days.setdefault(row["day"].isoformat(), {"issued": 0, "used": 0, "discount_fen": 0})["issued"] = row["n"]
    for row in used.annotate(day=TruncDate("used_at", tzinfo=_zone(zone))).values("day").annotate(
            n=Count("id"), d=Sum("discount_fen")):
        entry = days.setdefault(row["day"].isoformat(), {"issued": 0, "used": 0, "discount_fen": 0})
        entry.update(used=row["n"], discount_fen=row["d"] or 0)
    names = _store_names(access)
    stores = {names.get(row["used_store_id"], "—"): {"used": row["n"], "discount_fen": row["d"] or 0}
              for row in used.values("used_store_id").annotate(n=Count("id"), d=Sum("discount_fen"))}
    return {"totals": totals, "by_day": _rows(days, "day"), "by_store": _rows(stores, "store")}


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def promotion_results(*, access: Access, promotion: Promotion, date_from: date, date_to: date) -> dict[str, Any]:
    access.require("coupons.view")
    start, end = _period(access, date_from, date_to)
    zone = _zone(access.merchant.timezone)
    names = _store_names(access)
    totals: dict[str, int] = {}
    days: dict[str, dict[str, int]] = {}
    stores: dict[str, dict[str, int]] = {}
    if promotion.kind == Promotion.Kind.RECHARGE_BONUS:
        recharges = Recharge.objects.filter(merchant=access.merchant, promotion=promotion, created_at__gte=start,
                                            created_at__lt=end)
        if access.store_ids is not None:
            recharges = recharges.filter(store_id__in=access.store_ids)
        figures = recharges.aggregate(n=Count("id"), paid=Sum("pay_fen"), extra=Sum("promotion_bonus_fen"))
        totals = {"recharges": figures["n"] or 0, "paid_fen": figures["paid"] or 0,
                  "discount_fen": figures["extra"] or 0}
        for row in recharges.annotate(day=TruncDate("created_at", tzinfo=zone)).values("day").annotate(
                n=Count("id"), extra=Sum("promotion_bonus_fen")):
            days[row["day"].isoformat()] = {"recharges": row["n"], "discount_fen": row["extra"] or 0}
        for row in recharges.values("store_id").annotate(n=Count("id"), extra=Sum("promotion_bonus_fen")):
            stores[names.get(row["store_id"], "—")] = {"recharges": row["n"], "discount_fen": row["extra"] or 0}
    elif promotion.kind in (Promotion.Kind.WELCOME_GIFT, Promotion.Kind.FIRST_VISIT_GIFT,
                            Promotion.Kind.BIRTHDAY_GIFT):
        coupons = Coupon.objects.filter(merchant=access.merchant, issue_run__promotion=promotion)
        issued = coupons.filter(issued_at__gte=start, issued_at__lt=end)
        used = coupons.filter(status=Coupon.Status.USED, used_at__gte=start, used_at__lt=end)
        if access.store_ids is not None:
            used = used.filter(used_store_id__in=access.store_ids)
        brought = _orders_brought(Order.objects.filter(merchant=access.merchant, pk__in=used.values("order_id")))
        totals = {"members_reached": issued.values("member_id").distinct().count(), "coupons_issued": issued.count(),
                  "used": used.count(), "discount_fen": used.aggregate(s=Sum("discount_fen"))["s"] or 0,
                  "gmv_fen": brought["gmv"], "repeat_members": brought["repeat_members"]}
        for row in used.annotate(day=TruncDate("used_at", tzinfo=zone)).values("day").annotate(
                n=Count("id"), d=Sum("discount_fen")):
            days[row["day"].isoformat()] = {"used": row["n"], "discount_fen": row["d"] or 0}
        for row in used.values("used_store_id").annotate(n=Count("id"), d=Sum("discount_fen")):
            stores[names.get(row["used_store_id"], "—")] = {"used": row["n"], "discount_fen": row["d"] or 0}
    else:
        lines = OrderLine.objects.filter(promotion=promotion, order__merchant=access.merchant,
                                         order__created_at__gte=start, order__created_at__lt=end)
        if access.store_ids is not None:
            lines = lines.filter(order__store_id__in=access.store_ids)
        figures = lines.aggregate(units=Sum("qty"), d=Sum("promotion_discount_fen"))
        brought = _orders_brought(Order.objects.filter(merchant=access.merchant, pk__in=lines.values("order_id")))
        totals = {"orders": brought["orders"], "units": figures["units"] or 0, "discount_fen": figures["d"] or 0,
                  "gmv_fen": brought["gmv"], "new_members": brought["new_members"],
                  "repeat_members": brought["repeat_members"]}
        for row in lines.annotate(day=TruncDate("order__created_at", tzinfo=zone)).values("day").annotate(
                units=Sum("qty"), d=Sum("promotion_discount_fen"), orders=Count("order_id", distinct=True)):
            days[row["day"].isoformat()] = {"orders": row["orders"], "units": row["units"], "discount_fen": row["d"]}
        for row in lines.values("order__store_id").annotate(units=Sum("qty"), d=Sum("promotion_discount_fen"),
                                                            orders=Count("order_id", distinct=True)):
            stores[names.get(row["order__store_id"], "—")] = {"orders": row["orders"], "units": row["units"],
                                                              "discount_fen": row["d"]}
    return {"totals": totals, "by_day": _rows(days, "day"), "by_store": _rows(stores, "store")}


def results_workbook(title: str, results: dict[str, Any], labels: dict[str, str]) -> bytes:
    """The results as an XLSX file: totals, by day, by store; figures named in words, money in yuan."""
    from io import BytesIO

    from openpyxl import Workbook

    from mendian.core.xlsx import yuan_cell

    def cell(key: str, value: Any) -> Any:
        return yuan_cell(value) if key.endswith("_fen") else value

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Totals"))[:31]
    sheet.append([title])
    for key, value in results["totals"].items():
        sheet.append([labels.get(key, key), cell(key, value)])
    for name, rows in ((str(_("By day")), results["by_day"]), (str(_("By store")), results["by_store"])):
        part = book.create_sheet(name[:31])
        if rows:
            part.append([labels.get(key, key) for key in rows[0]])
            for row in rows:
                part.append([cell(key, value) for key, value in row.items()])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
