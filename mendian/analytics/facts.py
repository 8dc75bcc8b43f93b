"""Per-member facts for the standard windows: closed days stored, today and late refunds added live.

Segment conditions over a period ("net spend in the last 90 days", "2 orders in 30 days", "bought from
a category in 180 days") and the dashboard's active and repeat members ask a question of every member's
orders in a window ending now. Scanning the window's orders each time costs seconds at millions of
orders, so the nightly job (``facts_build``) writes down, per member:

- ``MemberFacts``: orders (not refunded in full), net spend (paid − refunded) and the categories bought
  from (a line not refunded in full) of the orders placed in each window of ``WINDOWS`` days, over its
  *closed* days — the window of N days ending today, less today: local days ``[D − N + 2, D]`` where
  ``D`` (``facts_through``) is yesterday.

The conditions of an "all" group that the facts answer are asked of them together, in one scan of that
table. A question then reads the facts and adds, exactly, what they cannot know — the *live* members:

- members with orders today: their figure is the stored one plus today's orders (their categories, the
  stored ones and today's), read now;
- *dirty* members — the members of older orders refunded since the build (less an hour, for
  transactions still open at that moment): their stored figures may be out of date, so for them the
  question is asked of their orders directly.

Nothing else changes a closed day's facts: an order's member, time and amounts are fixed when it is
paid, and a refund changes an older order only through a refund row, which makes its member dirty. The
categories are used only while every product is in the category it was in at the build (a fingerprint
of the catalogue is kept). The facts are used only on the day after ``facts_through``
(the nightly build makes it so from 01:00 on); any other day, window or question asks the orders
directly. ``facts_forget`` (called by ``rollup_forget``) sets them aside when old data is written
afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from mendian.catalog.models import Product
from mendian.core.db import analytic_memo
from mendian.core.time import day_bounds, local_date
from mendian.pos.models import Order, OrderLine, Refund
from mendian.tenancy.models import Merchant

from .models import MemberFacts, RollupState
from .rollups import CLOSE_AFTER  # a build covers the days that ended this long ago; late refunds this far back

WINDOWS = (7, 14, 30, 60, 90, 180, 365)
LONGEST = max(WINDOWS)
FIGURES = ("orders", "spend")  # a figure counts 0 for a member without orders
CATEGORIES = "categories"  # the set of categories bought from: empty for a member without orders


def column(measure: str, days: int) -> str:
    """The facts' column of a measure over a window."""
    return {"orders": f"orders_{days}", "spend": f"spend_{days}_fen", CATEGORIES: f"categories_{days}"}[measure]


def zero(measure: str) -> Any:
    """A measure's value for a member without orders."""
    return frozenset() if measure == CATEGORIES else 0


def ids_q(ids: Iterable[int]) -> Q:
    """The members of the ids, however many (one parameter: ``Among``)."""
    return Q(pk__among=list(ids))


def catalog_fingerprint(merchant_id: int) -> str:
    """A digest of every product's category: the stored categories hold while it is unchanged."""
    pairs = Product.objects.filter(merchant_id=merchant_id).order_by("id").values_list("id", "category_id")
    return hashlib.sha256(json.dumps(list(pairs)).encode()).hexdigest()


def facts_build(*, merchant: Merchant, now: datetime | None = None) -> int | None:
    """Rewrite the merchant's facts for the days up to yesterday (the nightly job, and the scale demo).
    Returns the members with facts, or None when run in the first hour of a day (yesterday is not
    settled yet; the facts stay as they were)."""
    now = now or timezone.now()
    tz_name = merchant.timezone
    through = local_date(now - CLOSE_AFTER, tz_name) - timedelta(days=1)
    if through != local_date(now, tz_name) - timedelta(days=1):
        return None
    end = day_bounds(through + timedelta(days=1), tz_name)[0]
    # the first moment of each window's closed days (the window of N days ending the day after)
    starts = {n: day_bounds(through - timedelta(days=n - 2), tz_name)[0] for n in WINDOWS}
    counted = ~Q(status=Order.Status.REFUNDED)
    net = F("payable_fen") - F("refunded_fen")
    measures: dict[str, Any] = {}
    for n in WINDOWS:
        measures[column("orders", n)] = Count("id", filter=Q(created_at__gte=starts[n]) & counted)
    for n in WINDOWS:
        measures[column("spend", n)] = Coalesce(Sum(net, filter=Q(created_at__gte=starts[n])), 0)
    orders = (Order.objects.filter(merchant_id=merchant.pk, member__isnull=False, created_at__gte=starts[LONGEST],
                                   created_at__lt=end)
              .order_by().values("member_id").annotate(**measures).values("member_id", *measures))
    lines = (OrderLine.objects.filter(order__merchant_id=merchant.pk, order__member__isnull=False,
                                      order__created_at__gte=starts[LONGEST], order__created_at__lt=end,
                                      product__category__isnull=False)
             .exclude(qty=F("refunded_qty")).order_by()
             .values(buyer=F("order__member_id"), category=F("product__category_id"))
             .annotate(last_at=Max("order__created_at")).values("buyer", "category", "last_at"))
    quote = connection.ops.quote_name
    orders_sql, orders_params = orders.query.sql_with_params()
    lines_sql, lines_params = lines.query.sql_with_params()
    # per member, the categories last bought from within each window (one row per member and category)
    if connection.vendor == "postgresql":
        collect, empty = "ARRAY_AGG(bought.category ORDER BY bought.category)", "'{}'::bigint[]"
    else:
        collect, empty = "JSON_GROUP_ARRAY(bought.category)", "'[]'"
    sets = [column(CATEGORIES, n) for n in WINDOWS]
    per_member = ", ".join(f"{collect} FILTER (WHERE bought.last_at >= %s) AS {quote(name)}" for name in sets)
    names = ", ".join(quote(c) for c in ("merchant_id", "member_id", *measures, *sets))
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(merchant=merchant)
        MemberFacts.objects.filter(merchant_id=merchant.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(MemberFacts._meta.db_table)} ({names}) "
                f"SELECT %s, figures.*, {', '.join(f'COALESCE(c.{quote(n)}, {empty})' for n in sets)} "
                f"FROM ({orders_sql}) figures LEFT JOIN (SELECT bought.buyer, {per_member} "
                f"FROM ({lines_sql}) bought GROUP BY bought.buyer) c ON c.buyer = figures.member_id",
                [merchant.pk, *orders_params,
                 *(connection.ops.adapt_datetimefield_value(starts[n]) for n in WINDOWS), *lines_params])
            members = cursor.rowcount
        state.facts_through, state.facts_built_at = through, now
        state.facts_catalog = catalog_fingerprint(merchant.pk)
        state.save(update_fields=["facts_through", "facts_built_at", "facts_catalog"])
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The rows replaced are dead: reclaimed now, whatever autovacuum's settings, so that the next build
        # writes into their space (the table stays at two builds' size, not one more each night) and the
        # planner's statistics describe the new rows.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {quote(MemberFacts._meta.db_table)}")
    return members


def facts_forget(*, merchant_id: int) -> None:
    """Stop using the stored facts (old data was written after they were built) until the next build."""
    RollupState.objects.filter(merchant_id=merchant_id).update(facts_through=None, facts_built_at=None)


@dataclass(frozen=True)
class FactTest:
    """A test of one of a member's facts (``measure`` over the last ``days`` days): ``test`` as a ``Q`` on
    the facts' column (given the path to it), ``holds`` the same test in Python on a value, ``direct`` the
    values asked of the orders themselves for the dirty members, as rows (``member_id``, value) that add
    up to a member's value (one per member for a figure, one per member and category for the categories)."""

    measure: str
    days: int
    test: Callable[[str], Q]  # given the path to the facts (``""`` on the facts, ``"facts__"`` from a member)
    holds: Callable[[Any], bool]
    direct: QuerySet


def _add(value: Any, more: Any) -> Any:
    return value | more if isinstance(value, frozenset) else value + more


@dataclass(frozen=True)
class Facts:
    """The merchant's facts, usable today (``through`` is yesterday), with the live members read now:
    ``today`` maps each member with orders today who is not dirty to (orders, net spend) of today."""

    merchant_id: int
    tz_name: str
    through: date
    built_at: datetime
    catalog: str
    dirty: frozenset[int]
    today: dict[int, tuple[int, int]]

    @property
    def live(self) -> frozenset[int]:
        return self.dirty | self.today.keys()

    @cached_property
    def categories_hold(self) -> bool:
        """Every product is in the category it was in at the build (else the stored categories are not used)."""
        return catalog_fingerprint(self.merchant_id) == self.catalog

    @cached_property
    def today_categories(self) -> dict[int, frozenset[int]]:
        """The categories today's members (not dirty) bought from today (lines not refunded in full)."""
        start = day_bounds(self.through + timedelta(days=1), self.tz_name)[0]
        bought: dict[int, frozenset[int]] = {}
        for member_id, category_id in (
                OrderLine.objects.filter(order__merchant_id=self.merchant_id, order__member_id__among=self.today,
                                         order__created_at__gte=start, product__category__isnull=False)
                .exclude(qty=F("refunded_qty")).values_list("order__member_id", "product__category_id").distinct()):
            bought[member_id] = bought.get(member_id, frozenset()) | {category_id}
        return bought

    def _today(self, member_id: int, measure: str) -> Any:
        if measure == CATEGORIES:
            return self.today_categories.get(member_id, frozenset())
        return self.today[member_id][FIGURES.index(measure)]

    def _stored(self, **lookups: Any) -> QuerySet:
        return MemberFacts.objects.filter(merchant_id=self.merchant_id, **lookups)

    def members_q(self, tests: list[FactTest], relate: Callable[[Q], str]) -> Q:
        """Members whose facts pass every test: one pass over the stored facts for all of them, the live
        members' values worked out here. The live members with a stored row are sorted out in that same
        pass, so that the database joins the facts to the members once, in parallel (an anti-join, or a
        join of the facts rows that pass: ``relate`` joins ``Member.facts`` on a condition and gives its
        alias); only live members without a row who pass are named beside it."""
        values = {m: [zero(t.measure) for t in tests] for m in self.live}
        columns = [column(t.measure, t.days) for t in tests]
        stored_live = set()
        for member_id, *stored in self._stored(member_id__among=self.live).values_list("member_id", *columns):
            stored_live.add(member_id)
            if member_id in self.today:  # the dirty members' values are asked of their orders instead
                values[member_id] = list(stored)
        for member_id in self.today:
            for i, t in enumerate(tests):
                values[member_id][i] = _add(values[member_id][i], self._today(member_id, t.measure))
        for i, t in enumerate(tests):
            for member_id, value in t.direct.filter(member_id__among=self.dirty):
                more = frozenset((value,)) if t.measure == CATEGORIES else value
                values[member_id][i] = _add(values[member_id][i], more)

        def passes(member_values: list[Any]) -> bool:
            return all(t.holds(value) for t, value in zip(tests, member_values, strict=True))

        def every(prefix: str) -> Q:
            q = Q()
            for t in tests:
                q &= t.test(prefix)
            return q

        if passes([zero(t.measure) for t in tests]):  # everyone but those who fail a test (no orders: all zero)
            failing = {m for m, member_values in values.items() if not passes(member_values)}
            rows = self._stored(member_id=OuterRef("pk")).filter(
                (~every("") & ~Q(member_id__among=self.live)) | Q(member_id__among=failing & stored_live))
            return ~Exists(rows) & ~ids_q(failing - stored_live) if failing - stored_live else ~Exists(rows)
        passing = {m for m, member_values in values.items() if passes(member_values)}
        alias = relate(Q(facts__merchant_id=self.merchant_id)
                       & ((every("facts__") & ~Q(facts__member_id__among=self.live))
                          | Q(facts__member_id__among=passing & stored_live)))
        found = Q(**{f"{alias}__isnull": False})
        return found | ids_q(passing - stored_live) if passing - stored_live else found

    def active_and_repeat(self, days: int, direct: QuerySet) -> list[tuple[int, int]] | None:
        """Active and repeat members of the last ``days`` days (today included) and of the ``days`` before,
        or None when the windows are not among the facts. ``direct`` gives, per member, ``n0`` (orders in
        the period) and ``n1`` (in the one before) from the orders; it is asked of the dirty members."""
        if days not in WINDOWS or 2 * days not in WINDOWS:
            return None
        current, both = column("orders", days), column("orders", 2 * days)
        stored = (self._stored(**{f"{both}__gt": 0}).exclude(member_id__among=self.live)
                  .aggregate(a0=Count("id", filter=Q(**{f"{current}__gte": 1})),
                             r0=Count("id", filter=Q(**{f"{current}__gte": 2})),
                             a1=Count("id", filter=Q(**{f"{both}__gte": F(current) + 1})),
                             r1=Count("id", filter=Q(**{f"{both}__gte": F(current) + 2}))))
        counts = [[stored["a0"], stored["r0"]], [stored["a1"], stored["r1"]]]
        live: dict[int, list[int]] = {m: [n, 0] for m, (n, _spend) in self.today.items()}
        for member_id, n0, n1 in self._stored(member_id__among=self.today).values_list(
                "member_id", current, both):
            live[member_id][0] += n0
            live[member_id][1] = n1 - n0
        for member_id, n0, n1 in direct.filter(member_id__among=self.dirty).values_list(
                "member_id", "n0", "n1"):
            live[member_id] = [n0, n1]
        for figures in live.values():
            for i, n in enumerate(figures):
                counts[i][0] += n >= 1
                counts[i][1] += n >= 2
        return [(int(a), int(r)) for a, r in counts]


def current_facts(merchant_id: int, tz_name: str, now: datetime) -> Facts | None:
    """The merchant's facts if they can answer questions asked at ``now`` (read once per
    ``analytic_queries`` block)."""
    memo = analytic_memo()
    key = ("facts", merchant_id, local_date(now, tz_name))
    if memo is not None and key in memo:
        return memo[key]
    state = RollupState.objects.filter(merchant_id=merchant_id).first()
    facts = None
    if state and state.facts_through is not None and state.facts_through == local_date(now, tz_name) - timedelta(1):
        start = day_bounds(state.facts_through + timedelta(days=1), tz_name)[0]
        dirty = frozenset(Refund.objects.filter(merchant_id=merchant_id,
                                                created_at__gte=state.facts_built_at - CLOSE_AFTER,
                                                order__created_at__lt=start, order__member__isnull=False)
                          .values_list("order__member_id", flat=True))
        today = {m: (n, s) for m, n, s in
                 Order.objects.filter(merchant_id=merchant_id, member__isnull=False, created_at__gte=start)
                 .order_by().values("member_id")
                 .annotate(n=Count("id", filter=~Q(status=Order.Status.REFUNDED)),
                           s=Sum(F("payable_fen") - F("refunded_fen")))
                 .values_list("member_id", "n", "s") if m not in dirty}
        facts = Facts(merchant_id, tz_name, state.facts_through, state.facts_built_at, state.facts_catalog,
                      dirty, today)
    if memo is not None:
        memo[key] = facts
    return facts
