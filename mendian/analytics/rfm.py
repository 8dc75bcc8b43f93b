"""RFM (最近一次消费 Recency / 消费频率 Frequency / 消费金额 Monetary): scores 1–5 and the eight
classic groups, computed for every member of a merchant in one SQL statement.

The period is the merchant's last ``period_days`` days. Frequency counts the orders not refunded in
full; monetary is the net spend (payable − refunded); members with no such order in the period are
not scored. Scores are either by fifths of the scored members (ties share a score: the score is
``1 + 5 × (rank − 1) ÷ members``, rank counted from the worst) or by four ascending thresholds per
figure. A figure is "high" when its score is above the average score of the scored members (the
classic comparison with the mean), which gives the eight groups below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mendian.core.db import analytic_queries
from mendian.core.errors import InvalidInput, PermissionDenied
from mendian.members.models import Member
from mendian.pos.models import Order
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant
from mendian.tenancy.services.audit import audit_record

from .models import RfmScore, RfmSettings


@dataclass(frozen=True)
class RfmGroup:
    code: str
    name: str | Promise
    high: tuple[bool, bool, bool]  # R, F, M above average
    advice: str | Promise


GROUPS: tuple[RfmGroup, ...] = (
    RfmGroup("important_value", _("Important value customers"), (True, True, True),
             _("Keep them delighted: VIP service, early access.")),
    RfmGroup("important_develop", _("Important customers to develop"), (True, False, True),
             _("Recent and spending well but seldom: give reasons to come more often.")),
    RfmGroup("important_keep", _("Important customers to keep"), (False, True, True),
             _("Frequent big spenders who have not come lately: reach out before they drift.")),
    RfmGroup("important_retain", _("Important customers to win back"), (False, False, True),
             _("Spent well once but are slipping away: win them back.")),
    RfmGroup("general_value", _("General value customers"), (True, True, False),
             _("Loyal but small baskets: offer add-ons.")),
    RfmGroup("general_develop", _("General customers to develop"), (True, False, False),
             _("New or occasional: a second-visit offer.")),
    RfmGroup("general_keep", _("General customers to keep"), (False, True, False),
             _("Used to come often: a reminder offer.")),
    RfmGroup("general_retain", _("General customers to win back"), (False, False, False),
             _("Low value and asleep: low-cost reminders.")),
)
GROUP_BY_CODE = {g.code: g for g in GROUPS}
DEFAULT_THRESHOLDS = {"r_days": [30, 60, 120, 240], "f_orders": [2, 3, 5, 8], "m_fen": [20000, 50000, 100000, 300000]}


def rfm_settings(merchant: Merchant) -> RfmSettings:
    settings, _created = RfmSettings.objects.get_or_create(merchant=merchant, defaults=DEFAULT_THRESHOLDS)
    return settings


def _edges(value: Any, field: str) -> list[int]:
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
            or any(a >= b for a, b in zip(value, value[1:], strict=False))):
        raise InvalidInput("invalid_thresholds", _("Give four ascending whole numbers."), field=field)
    return value


def rfm_settings_save(*, access: Access, method: str, period_days: int, r_days: Sequence[int] | None = None,
                      f_orders: Sequence[int] | None = None, m_fen: Sequence[int] | None = None) -> RfmSettings:
    access.require("reports.rfm")
    settings = rfm_settings(access.merchant)
    if method not in RfmSettings.Method.values:
        raise InvalidInput("invalid_method", _("Score by quantiles or by thresholds."), field="method")
    if not isinstance(period_days, int) or not 30 <= period_days <= 3650:
        raise InvalidInput("invalid_period", _("The period is 30 to 3650 days."), field="period_days")
    settings.method, settings.period_days = method, period_days
    if method == RfmSettings.Method.THRESHOLDS:
        settings.r_days = _edges(list(r_days or []), "r_days")
        settings.f_orders = _edges(list(f_orders or []), "f_orders")
        settings.m_fen = _edges(list(m_fen or []), "m_fen")
    with transaction.atomic():
        settings.save()
        audit_record(merchant=access.merchant, actor=access, action="rfm.settings", target_label="RFM",
                     changes={"method": method, "period_days": period_days, "r_days": settings.r_days,
                              "f_orders": settings.f_orders, "m_fen": settings.m_fen})
    return settings


def _adapt(when: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(when)


def _score_sql(settings: RfmSettings, now: datetime) -> tuple[str, str, str, list[Any]]:
    """The three score expressions over (last_at, freq, money), and their parameters in order."""
    if settings.method == RfmSettings.Method.QUANTILE:
        def fifth(order: str) -> str:
            return f"(1 + (5 * (RANK() OVER (ORDER BY {order}) - 1)) / COUNT(*) OVER ())"
        return fifth("last_at"), fifth("freq"), fifth("money"), []
    params: list[Any] = []

    def steps(expression: str, edges: list[Any]) -> str:
        params.extend(edges)
        return "(1 " + " ".join(f"+ CASE WHEN {expression} >= %s THEN 1 ELSE 0 END" for _edge in edges) + ")"

    # Recency: fewer days is better, so each edge is a moment — on or after it scores one more.
    r = steps("last_at", [_adapt(now - timedelta(days=d)) for d in reversed(settings.r_days)])
    f = steps("freq", list(settings.f_orders))
    m = steps("money", list(settings.m_fen))
    return r, f, m, params


def rfm_recompute(*, merchant: Merchant, now: datetime | None = None) -> int:
    """Score every member of the merchant again (one statement); how many were scored."""
    now = now or timezone.now()
    settings = rfm_settings(merchant)
    r_sql, f_sql, m_sql, score_params = _score_sql(settings, now)
    orders, scores = Order._meta.db_table, RfmScore._meta.db_table
    group_case = "CASE " + " ".join(
        f"WHEN (r > ar) = {_bool(g.high[0])} AND (f > af) = {_bool(g.high[1])} AND (m > am) = {_bool(g.high[2])} "
        f"THEN '{g.code}'" for g in GROUPS) + " END"
    sql = f"""
        INSERT INTO {scores} (merchant_id, member_id, last_order_at, frequency, monetary_fen, r, f, m, group_code)
        SELECT %s, member_id, last_at, freq, money, r, f, m, {group_case}
        FROM (
            SELECT member_id, last_at, freq, money, r, f, m,
                   AVG(r * 1.0) OVER () AS ar, AVG(f * 1.0) OVER () AS af, AVG(m * 1.0) OVER () AS am
            FROM (
                SELECT member_id, last_at, freq, money, {r_sql} AS r, {f_sql} AS f, {m_sql} AS m
                FROM (
                    SELECT member_id, MAX(created_at) AS last_at,
                           SUM(CASE WHEN status <> %s THEN 1 ELSE 0 END) AS freq,
                           SUM(payable_fen - refunded_fen) AS money
                    FROM {orders}
                    WHERE merchant_id = %s AND member_id IS NOT NULL AND created_at >= %s
                    GROUP BY member_id
                ) figures
                WHERE freq > 0
            ) scored
        ) averaged
    """
    since = now - timedelta(days=settings.period_days)
    params = [merchant.pk, *score_params, Order.Status.REFUNDED, merchant.pk, _adapt(since)]
    with analytic_queries():
        RfmScore.objects.filter(merchant=merchant).delete()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            scored = cursor.rowcount
        RfmSettings.objects.filter(pk=settings.pk).update(scored_at=now, scored_members=scored)
    return scored


def rfm_run(*, access: Access) -> int:
    """Score now, for head office (the nightly run does it too)."""
    access.require("reports.rfm")
    if access.store_ids is not None:
        raise PermissionDenied("hq_only", _("RFM is scored by head office."))
    return rfm_recompute(merchant=access.merchant)


def _bool(value: bool) -> str:
    # Comparisons give true/false on PostgreSQL and 1/0 on SQLite; compare with the matching literal.
    if connection.vendor == "postgresql":
        return "TRUE" if value else "FALSE"
    return "1" if value else "0"


@dataclass(frozen=True)
class RfmReport:
    groups: list[dict[str, Any]]
    grid: list[list[dict[str, int]]]  # R (5 … 1) × F (1 … 5): members and spend per cell
    scored_at: datetime | None
    scored_members: int
    settings: RfmSettings


def rfm_report(*, access: Access) -> RfmReport:
    """The eight groups with their members and spend, and the R × F grid (store-bound staff: members
    registered in their stores)."""
    access.require("reports.rfm")
    settings = rfm_settings(access.merchant)
    if settings.scored_at is None:  # never scored yet (a new merchant): score now rather than show nothing
        rfm_recompute(merchant=access.merchant)
        settings.refresh_from_db()
    scores = RfmScore.objects.filter(merchant=access.merchant)
    if access.store_ids is not None:
        scores = scores.filter(member_id__in=Member.objects.filter(merchant=access.merchant,
                                                                   registered_store_id__in=access.store_ids)
                               .values("id"))
    by_group = {row["group_code"]: row for row in scores.order_by().values("group_code")
                .annotate(count=Count("member_id"), spend_fen=Sum("monetary_fen"))}
    groups = [{"code": g.code, "name": str(g.name), "advice": str(g.advice),
               "count": by_group.get(g.code, {}).get("count", 0),
               "spend_fen": by_group.get(g.code, {}).get("spend_fen") or 0} for g in GROUPS]
    cells = {(row["r"], row["f"]): row for row in scores.order_by().values("r", "f")
             .annotate(count=Count("member_id"), spend_fen=Sum("monetary_fen"))}
    grid = [[{"r": r, "f": f, "count": cells.get((r, f), {}).get("count", 0),
              "spend_fen": cells.get((r, f), {}).get("spend_fen") or 0} for f in range(1, 6)] for r in range(5, 0, -1)]
    return RfmReport(groups=groups, grid=grid, scored_at=settings.scored_at, scored_members=settings.scored_members,
                     settings=settings)


def rfm_members(*, access: Access, group: str | None = None, r: int | None = None, f: int | None = None):
    """The members of a group or of a grid cell, best spenders first."""
    access.require("reports.rfm")
    if group is not None and group not in GROUP_BY_CODE:
        raise InvalidInput("invalid_group", _("Unknown RFM group."), field="group")
    for name, value in (("r", r), ("f", f)):
        if value is not None and not 1 <= value <= 5:
            raise InvalidInput("invalid_score", _("A score is 1 to 5."), field=name)
    scores = RfmScore.objects.filter(merchant=access.merchant)
    if group:
        scores = scores.filter(group_code=group)
    if r:
        scores = scores.filter(r=r)
    if f:
        scores = scores.filter(f=f)
    members = Member.objects.filter(merchant=access.merchant, erased_at__isnull=True,
                                    pk__in=scores.values("member_id"))
    if access.store_ids is not None:
        members = members.filter(registered_store_id__in=access.store_ids)
    return members
