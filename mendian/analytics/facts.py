"""Per-member facts for the standard windows: closed days stored, today and late refunds added live.

Segment conditions over a period ("net spend in the last 90 days", "2 orders in 30 days", "bought from
a category in 180 days") and the dashboard's active and repeat members ask a question of every member's
orders in a window ending now. Scanning the window's orders each time costs seconds at millions of
orders, so the nightly job (``facts_build``) writes down, per member:

- ``MemberFacts``: orders (not refunded in full) and net spend (paid − refunded) of the orders placed
  in each window of ``WINDOWS`` days, over its *closed* days — the window of N days ending today, less
  today: local days ``[D − N + 2, D]`` where ``D`` (``facts_through``) is yesterday;
- ``MemberCategoryFacts``: when the member last bought from each category (a line not refunded in
  full) in the closed days of the longest window.

A question then reads the facts and adds, exactly, what they cannot know — the *live* members:

- members with orders today: their figure is the stored one plus today's orders, read now;
- *dirty* members — the members of older orders refunded since the build (less an hour, for
  transactions still open at that moment): their stored figures may be out of date, so for them the
  question is asked of their orders directly.

Nothing else changes a closed day's facts: an order's member, time and amounts are fixed when it is
paid, and a refund changes an older order only through a refund row, which makes its member dirty. The
category facts are used only while every product is in the category it was in at the build (a
fingerprint of the catalogue is kept). The facts are used only on the day after ``facts_through``
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
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from mendian.catalog.models import Product
from mendian.core.db import analytic_memo
from mendian.core.time import day_bounds, local_date
from mendian.pos.models import Order, OrderLine, Refund
from mendian.tenancy.models import Merchant

from .models import MemberCategoryFacts, MemberFacts, RollupState
from .rollups import CLOSE_AFTER  # a build covers the days that ended this long ago; late refunds this far back

WINDOWS = (7, 14, 30, 60, 90, 180, 365)
LONGEST = max(WINDOWS)
MEASURES = ("orders", "spend")


def column(measure: str, days: int) -> str:
    """The facts' column of a measure over a window."""
    return f"orders_{days}" if measure == "orders" else f"spend_{days}_fen"


def id_list(ids: Iterable[int]) -> RawSQL:
    """A subquery of the ids as one parameter, however many (an array on PostgreSQL, JSON on SQLite)."""
    ids = sorted(ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def ids_q(ids: Iterable[int]) -> Q:
    return Q(pk__in=id_list(ids))


def catalog_fingerprint(merchant_id: int) -> str:
    """A digest of every product's category: the category facts hold while it is unchanged."""
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
             .exclude(qty=F("refunded_qty")).order_by().values("order__member_id", "product__category_id")
             .annotate(last_at=Max("order__created_at")).values("order__member_id", "product__category_id",
                                                                  "last_at"))
    quote = connection.ops.quote_name
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(merchant=merchant)
        MemberFacts.objects.filter(merchant_id=merchant.pk).delete()
        MemberCategoryFacts.objects.filter(merchant_id=merchant.pk).delete()
        with connection.cursor() as cursor:
            sql, params = orders.query.sql_with_params()
            names = ", ".join(quote(c) for c in ("merchant_id", "member_id", *measures))
            cursor.execute(f"INSERT INTO {quote(MemberFacts._meta.db_table)} ({names}) "
                           f"SELECT %s, facts.* FROM ({sql}) facts", [merchant.pk, *params])
            members = cursor.rowcount
            sql, params = lines.query.sql_with_params()
            cursor.execute(f"INSERT INTO {quote(MemberCategoryFacts._meta.db_table)} "
                           f"(merchant_id, member_id, category_id, last_at) SELECT %s, facts.* FROM ({sql}) facts",
                           [merchant.pk, *params])
        state.facts_through, state.facts_built_at = through, now
        state.facts_catalog = catalog_fingerprint(merchant.pk)
        state.save(update_fields=["facts_through", "facts_built_at", "facts_catalog"])
    return members


def facts_forget(*, merchant_id: int) -> None:
    """Stop using the stored facts (old data was written after they were built) until the next build."""
    RollupState.objects.filter(merchant_id=merchant_id).update(facts_through=None, facts_built_at=None)


@dataclass(frozen=True)
class FigureTest:
    """A test of a member's figure (``measure`` over the last ``days`` days): ``test`` as a ``Q`` on the
    facts' column, ``holds`` the same test in Python, ``direct`` the figures (``member_id``, ``figure``)
    asked of the orders themselves, for the dirty members."""

    measure: str
    days: int
    test: Q
    holds: Callable[[int], bool]
    direct: QuerySet


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

    def _stored(self, **lookups: Any) -> QuerySet:
        return MemberFacts.objects.filter(merchant_id=self.merchant_id, **lookups)

    def figures_q(self, tests: list[FigureTest]) -> Q:
        """Members whose figures pass every test (a figure is 0 for a member with no orders): one pass
        over the stored facts for all of them, and the live members' figures worked out here."""
        values = {m: [0] * len(tests) for m in self.live}
        columns = [column(t.measure, t.days) for t in tests]
        for member_id, *stored in self._stored(member_id__in=id_list(self.today)).values_list("member_id", *columns):
            values[member_id] = list(stored)
        for member_id, today in self.today.items():
            for i, t in enumerate(tests):
                values[member_id][i] += today[MEASURES.index(t.measure)]
        for i, t in enumerate(tests):
            for member_id, figure in t.direct.filter(member_id__in=id_list(self.dirty)).values_list("member_id",
                                                                                                    "figure"):
                values[member_id][i] = figure

        def passes(figures: list[int]) -> bool:
            return all(t.holds(figure) for t, figure in zip(tests, figures, strict=True))

        every = Q()
        for t in tests:
            every &= t.test
        live = ids_q(self.live)
        if passes([0] * len(tests)):  # everyone but those who fail a test (no orders: all 0, which pass)
            failing = Q(pk__in=self._stored().exclude(every).values("member_id")) & ~live
            return ~(failing | ids_q(m for m, figures in values.items() if not passes(figures)))
        passing = Q(pk__in=self._stored().filter(every).values("member_id")) & ~live
        return passing | ids_q(m for m, figures in values.items() if passes(figures))

    def buyers_q(self, *, categories: list[int], since: datetime, direct: QuerySet) -> Q | None:
        """Members who bought from the categories since ``since`` (within the longest window); ``direct``
        is the direct question's member ids, asked of the dirty members. None when a product has moved
        to another category since the build."""
        if catalog_fingerprint(self.merchant_id) != self.catalog:
            return None
        stored = MemberCategoryFacts.objects.filter(merchant_id=self.merchant_id, category_id__in=categories,
                                                    last_at__gte=since).values("member_id")
        start = day_bounds(self.through + timedelta(days=1), self.tz_name)[0]
        today = (OrderLine.objects.filter(order__merchant_id=self.merchant_id, order__member__isnull=False,
                                          order__created_at__gte=start, product__category_id__in=categories)
                 .exclude(qty=F("refunded_qty")).values("order__member_id"))
        return ((Q(pk__in=stored) & ~ids_q(self.dirty)) | Q(pk__in=today)
                | Q(pk__in=direct.filter(order__member_id__in=id_list(self.dirty))))

    def active_and_repeat(self, days: int, direct: QuerySet) -> list[tuple[int, int]] | None:
        """Active and repeat members of the last ``days`` days (today included) and of the ``days`` before,
        or None when the windows are not among the facts. ``direct`` gives, per member, ``n0`` (orders in
        the period) and ``n1`` (in the one before) from the orders; it is asked of the dirty members."""
        if days not in WINDOWS or 2 * days not in WINDOWS:
            return None
        current, both = column("orders", days), column("orders", 2 * days)
        stored = (self._stored(**{f"{both}__gt": 0}).exclude(member_id__in=id_list(self.live))
                  .aggregate(a0=Count("id", filter=Q(**{f"{current}__gte": 1})),
                             r0=Count("id", filter=Q(**{f"{current}__gte": 2})),
                             a1=Count("id", filter=Q(**{f"{both}__gte": F(current) + 1})),
                             r1=Count("id", filter=Q(**{f"{both}__gte": F(current) + 2}))))
        counts = [[stored["a0"], stored["r0"]], [stored["a1"], stored["r1"]]]
        live: dict[int, list[int]] = {m: [n, 0] for m, (n, _spend) in self.today.items()}
        for member_id, n0, n1 in self._stored(member_id__in=id_list(self.today)).values_list(
                "member_id", current, both):
            live[member_id][0] += n0
            live[member_id][1] = n1 - n0
        for member_id, n0, n1 in direct.filter(member_id__in=id_list(self.dirty)).values_list(
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
