"""Benchmark: segments, RFM and the HQ dashboard on a large chain (PostgreSQL), against DuckDB on the same data.

    .venv/bin/python bench/analytics.py [--members 1000000] [--orders 10000000] [--database-url postgres://…]
                                        [--keep]   # reuse the database of the previous run if it has the data

1. ``seed_demo --members N --orders M`` builds the data set in a fresh database (timed: the target is
   15 minutes for a million members and ten million orders).
2. In-process, on PostgreSQL: a segment count with three behaviour conditions (spend in the last 90
   days, orders in the last 90 days, bought from a category in the last 180 days), five times; RFM
   recomputation for all members, twice; the summary of the last 30 days.
3. Over HTTP against gunicorn (the production server, DEBUG off): the HQ dashboard page for the last 30
   days (its default), logged in as the demo owner, five times after one warm-up.
4. The same data exported to DuckDB (in memory) and the same questions asked there in SQL: the
   segment count, the RFM scores, and the dashboard's figures. Printed: each time and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, timedelta
from pathlib import Path

from _django import ROOT, recreate_database, setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mendian_bench_analytics"
PORT = 8093


def seed(url: str, members: int, orders: int) -> float:
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "TASK_BACKEND": "immediate"}
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run([python, "manage.py", "seed_demo", "--members", str(members), "--orders", str(orders)],
                   cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def timed(fn, times: int) -> tuple[float, object]:
    """The median wall time of ``times`` calls (seconds) and the last result."""
    spent, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = fn()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent), result


def segment_definition(category_id: int) -> dict:
    return {"match": "all", "conditions": [
        {"field": "spend_fen_in_days", "op": "gte", "value": 30000, "days": 90},
        {"field": "orders_in_days", "op": "gte", "value": 2, "days": 90},
        {"field": "bought_category_id", "op": "eq", "value": category_id, "days": 180},
    ]}


def dashboard_over_http(session_cookie: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs + 1):
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}/dashboard/",
                                         headers={"Cookie": f"sessionid={session_cookie}",
                                                  "Accept-Language": "zh-hans"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
            assert response.status == 200 and "数据看板".encode() in body
        times.append(time.perf_counter() - started)
    return times[1:]  # the first one warms the worker


def export_to_duckdb(url: str, merchant_id: int, since_days: int = 365):
    """Copy the tables the questions read into an in-memory DuckDB (CSV through COPY … TO STDOUT)."""
    import duckdb
    import psycopg

    duck = duckdb.connect()
    tables = {
        # times as naive UTC: DuckDB compares them without a time-zone extension
        "orders": "SELECT id, store_id, member_id, status, payable_fen, refunded_fen, coupon_discount_fen, "
                  "created_at AT TIME ZONE 'UTC' AS created_at FROM pos_order WHERE merchant_id = %s",
        "lines": "SELECT l.order_id, l.product_id, p.category_id, l.qty, l.refunded_qty, l.payable_fen "
                 "FROM pos_orderline l JOIN pos_order o ON o.id = l.order_id JOIN catalog_product p ON p.id = "
                 "l.product_id WHERE o.merchant_id = %s",
        "members": "SELECT id, registered_store_id, erased_at IS NOT NULL AS erased FROM members_member "
                   "WHERE merchant_id = %s",
        "payments": "SELECT pay.order_id, pay.method, pay.amount_fen FROM pos_payment pay JOIN pos_order o "
                    "ON o.id = pay.order_id WHERE o.merchant_id = %s",
    }
    spent = {}
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn, tempfile.TemporaryDirectory() as tmp:
        for name, query in tables.items():
            started = time.perf_counter()
            path = Path(tmp) / f"{name}.csv"
            with conn.cursor() as cursor, path.open("wb") as out:
                sql = query.replace("%s", str(int(merchant_id)))
                with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
                    for block in copy:
                        out.write(block)
            duck.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv_auto('{path}', header=true)")
            spent[name] = time.perf_counter() - started
    return duck, spent


DUCK_SEGMENT = """
WITH since90 AS (SELECT CAST(? AS TIMESTAMP) AS t), since180 AS (SELECT CAST(? AS TIMESTAMP) AS t)
SELECT count(*) FROM members m
WHERE NOT m.erased
  AND m.id IN (SELECT member_id FROM orders WHERE member_id IS NOT NULL AND created_at >= (SELECT t FROM since90)
               GROUP BY member_id HAVING sum(payable_fen - refunded_fen) >= 30000)
  AND m.id IN (SELECT member_id FROM orders WHERE member_id IS NOT NULL AND created_at >= (SELECT t FROM since90)
               AND status <> 'refunded' GROUP BY member_id HAVING count(*) >= 2)
  AND EXISTS (SELECT 1 FROM lines l JOIN orders o ON o.id = l.order_id WHERE o.member_id = m.id
              AND o.created_at >= (SELECT t FROM since180) AND l.category_id = ? AND l.qty <> l.refunded_qty)
"""

DUCK_RFM = """
SELECT count(*) FROM (
  SELECT member_id,
         1 + (5 * (rank() OVER (ORDER BY last_at) - 1)) // count(*) OVER () AS r,
         1 + (5 * (rank() OVER (ORDER BY freq) - 1)) // count(*) OVER () AS f,
         1 + (5 * (rank() OVER (ORDER BY money) - 1)) // count(*) OVER () AS m
  FROM (SELECT member_id, max(created_at) AS last_at, sum(CASE WHEN status <> 'refunded' THEN 1 ELSE 0 END) AS freq,
               sum(payable_fen - refunded_fen) AS money
        FROM orders WHERE member_id IS NOT NULL AND created_at >= ? GROUP BY member_id) figures
  WHERE freq > 0)
"""

DUCK_DASHBOARD = [
    # the summary of the period and of the one before
    "SELECT sum(payable_fen), count(*), count(member_id), sum(coupon_discount_fen) FROM orders "
    "WHERE created_at >= ? AND created_at < ?",
    "SELECT sum(payable_fen), count(*), count(member_id), sum(coupon_discount_fen) FROM orders "
    "WHERE created_at >= ? AND created_at < ?",
    # active and repeat members
    "SELECT count(*), count(*) FILTER (WHERE n >= 2) FROM (SELECT member_id, count(*) n FROM orders "
    "WHERE member_id IS NOT NULL AND status <> 'refunded' AND created_at >= ? AND created_at < ? GROUP BY member_id)",
    # by day (local), by store, by category, takings by method
    "SELECT CAST(created_at + INTERVAL 8 HOUR AS DATE) d, sum(payable_fen), count(*) FROM orders "  # Shanghai
    "WHERE created_at >= ? AND created_at < ? GROUP BY d",
    "SELECT store_id, sum(payable_fen), count(*) FROM orders WHERE created_at >= ? AND created_at < ? GROUP BY 1",
    "SELECT l.category_id, sum(l.payable_fen), sum(l.qty) FROM lines l JOIN orders o ON o.id = l.order_id "
    "WHERE o.created_at >= ? AND o.created_at < ? GROUP BY 1",
    "SELECT p.method, sum(p.amount_fen) FROM payments p JOIN orders o ON o.id = p.order_id "
    "WHERE o.created_at >= ? AND o.created_at < ? GROUP BY 1",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="reuse the data of the previous run")
    args = parser.parse_args()
    seeded = None
    if not args.keep:
        recreate_database(args.database_url)
        seeded = seed(args.database_url, args.members, args.orders)
    setup(args.database_url)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from mendian.analytics.conditions import Scope
    from mendian.analytics.facts import facts_build
    from mendian.analytics.reports import period_of, summary
    from mendian.analytics.rfm import rfm_recompute
    from mendian.analytics.segments import segment_preview
    from mendian.catalog.models import Category
    from mendian.core.time import local_today
    from mendian.pos.models import Order
    from mendian.tenancy.access import Access
    from mendian.tenancy.models import Staff

    owner = Staff.objects.select_related("merchant", "role").get(username="demo_owner")
    merchant = owner.merchant
    access = Access.for_staff(owner)
    orders = Order.objects.filter(merchant=merchant).count()
    # The nightly build of the members' facts (the seed ran it too; timed again here, as the night would)
    facts_time, with_facts = timed(lambda: facts_build(merchant=merchant), 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"analytics benchmark: PostgreSQL, {orders:,} orders"
          + (f", seeded in {seeded:.0f} s ({seeded / 60:.1f} min)" if seeded is not None else " (kept)"))

    category = Category.objects.filter(merchant=merchant).order_by("id").first()
    definition = segment_definition(category.pk)
    now = timezone.now()
    scope = Scope(merchant_id=merchant.pk, tz_name=merchant.timezone, now=now)
    segment_time, segment_count = timed(lambda: segment_preview(access=access, definition=definition), 5)
    rfm_time, scored = timed(lambda: rfm_recompute(merchant=merchant, now=now), 2)
    today = local_today(merchant.timezone)
    period = period_of(access, today - timedelta(days=29), today)
    summary_time, _figures = timed(lambda: summary(access=access, period=period, stores=None), 3)
    orders_30 = Order.objects.filter(merchant=merchant, created_at__gte=period.start).count()

    browser = Client()
    browser.force_login(owner, backend="mendian.tenancy.auth.StaffBackend")
    session_key = browser.cookies["sessionid"].value
    env = {"DATABASE_URL": args.database_url, "PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "0"}
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "mendian.config.wsgi", "--bind",
                               f"127.0.0.1:{PORT}", "--workers", "2", "--timeout", "300", "--log-level", "warning"],
                              cwd=ROOT, env=env)
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        pages = dashboard_over_http(session_key, 5)
    finally:
        server.terminate()
        server.wait()

    duck, exported = export_to_duckdb(args.database_url, merchant.pk)
    def utc(when):
        return when.astimezone(UTC).replace(tzinfo=None)

    since90, since180 = utc(scope.since(90)), utc(scope.since(180))
    d_segment, d_count = timed(lambda: duck.execute(DUCK_SEGMENT, [since90, since180, category.pk]).fetchone()[0], 5)
    d_rfm, d_scored = timed(lambda: duck.execute(DUCK_RFM, [utc(now - timedelta(days=365))]).fetchone()[0], 2)
    previous = period.previous()

    def duck_dashboard():
        for i, sql in enumerate(DUCK_DASHBOARD):
            bounds = [previous.start, previous.end] if i == 1 else [period.start, period.end]
            duck.execute(sql, [utc(b) for b in bounds]).fetchall()

    d_dash, _ = timed(duck_dashboard, 5)
    page = statistics.median(pages)
    print(f"  segment count, 3 behaviour conditions: {segment_time * 1000:,.0f} ms ({segment_count:,} members); "
          f"DuckDB {d_segment * 1000:,.0f} ms ({d_count:,}) → ratio {segment_time / d_segment:.1f}×   [target < 1 s]")
    print(f"  RFM recomputation, all members:        {rfm_time:,.1f} s ({scored:,} scored); "
          f"DuckDB {d_rfm:,.2f} s ({d_scored:,}) → ratio {rfm_time / d_rfm:.1f}×   [target < 60 s]")
    print(f"  HQ dashboard, last 30 days, over HTTP: median {page * 1000:,.0f} ms (max {max(pages) * 1000:,.0f} ms); "
          f"DuckDB, its queries {d_dash * 1000:,.0f} ms → ratio {page / d_dash:.1f}×   [target < 1 s]")
    print(f"  the summary alone (in-process):         {summary_time * 1000:,.0f} ms "
          f"({orders_30:,} orders in the 30 days)")
    print(f"  nightly build of the members' facts:   {facts_time:,.1f} s ({with_facts or 0:,} members)")
    print("  export to DuckDB: " + ", ".join(f"{name} {secs:.0f} s" for name, secs in exported.items()))


if __name__ == "__main__":
    main()
