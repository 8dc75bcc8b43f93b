"""Benchmark: issue one coupon template to every member (default 1,000,000) on PostgreSQL, against COPY;
and the counter's quote with ``"auto"`` for a member holding 60 coupons of mixed kinds.

    .venv/bin/python bench/issue_coupons.py [--members 1000000] [--database-url postgres://…/mendian_bench]

A first child process builds the merchant and its members (bulk). A second runs the issue exactly as
the task worker runs an issue run to "every member" (the filter with no condition), and reports its
time and peak resident memory. In the same run the parent COPYs the same number of coupon rows twice:
into an unindexed scratch table, and into the coupons table itself (indexes and constraints included;
rolled back), and prints both ratios. Last, in-process, it quotes a cart for a member holding 60
coupons of twelve templates (amounts off, percents, vouchers, item coupons; some stackable in two
groups) 500 times with ``coupon_ids: "auto"`` and prints p50/p95/p99.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from _django import recreate_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mendian_bench"


def _setup(url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _django import setup

    setup(url)


def child_seed(url: str, members: int) -> None:
    _setup(url)
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from mendian.members.bulk import NewMember, bulk_register
    from mendian.promotions.models import CouponStock, CouponTemplate
    from mendian.tenancy.services.merchants import merchant_create

    call_command("migrate", verbosity=0)
    created = merchant_create(name="派券基准", owner_username="bench_owner", owner_password="Bench-pass-2026",
                              store_name="一号店")
    rng = random.Random(3)
    phones = rng.sample(range(10**9), members)
    now = timezone.now()
    taken: set[int] = set()
    for start in range(0, members, 50_000):
        rows = [NewMember(phone=f"13{p:09d}", store_id=created.store.pk) for p in phones[start:start + 50_000]]
        with transaction.atomic():
            bulk_register(merchant_id=created.merchant.pk, rows=rows, channel="import", when=now,
                          today=now.date(), expire_after_days=None, taken_cards=taken)
    template = CouponTemplate.objects.create(merchant=created.merchant, name="全员满100减10", kind="amount_off",
                                             amount_fen=1000, min_spend_fen=10000, valid_days=30)
    CouponStock.objects.create(template=template)
    print(json.dumps({"template": template.pk, "owner": created.owner.pk}))


def child_issue(url: str, template_id: int, owner_id: int) -> None:
    """What the web process and then the task worker do for an issue run to every member."""
    os.environ["TASK_BACKEND"] = "dummy"  # the web process only enqueues; the worker's part is timed apart
    _setup(url)
    from mendian.promotions.issuing import issue_run_create, issue_run_execute
    from mendian.promotions.models import CouponTemplate, IssueRun
    from mendian.tenancy.access import Access
    from mendian.tenancy.models import Staff

    access = Access.for_staff(Staff.objects.get(pk=owner_id))
    template = CouponTemplate.objects.get(pk=template_id)
    started = time.perf_counter()
    run = issue_run_create(access=access, target=IssueRun.Target.FILTER, template=template, filters={})
    created = time.perf_counter()
    run = issue_run_execute(run_id=run.pk)
    done = time.perf_counter()
    assert run.status == "done", run.failure
    print(json.dumps({"issued": run.issued, "create_s": created - started, "issue_s": done - created,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def raw_copies(url: str, count: int, template_id: int) -> tuple[float, float]:
    """COPY ``count`` coupon rows into a scratch table, then into the coupons table (rolled back)."""
    import psycopg

    columns = ("id", "merchant_id", "template_id", "member_id", "code", "status", "valid_from", "valid_until",
               "source", "issue_run_id", "copy_no", "issued_at", "discount_fen")
    with psycopg.connect(url) as conn:
        merchant, = conn.execute("SELECT merchant_id FROM promotions_coupontemplate WHERE id = %s",
                                 [template_id]).fetchone()
        members = [row[0] for row in conn.execute("SELECT id FROM members_member ORDER BY id LIMIT %s", [count])]
        start_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM promotions_coupon").fetchone()[0]
        rng = random.Random(5)
        rows = [(start_id + i, merchant, template_id, members[i % len(members)], f"{rng.randrange(10**18):018d}",
                 "unused", "2026-11-28 00:00:00+00", "2026-12-28 00:00:00+00", "issue", None, 2, "2026-11-28 "
                 "00:00:00+00", 0) for i in range(count)]
        conn.execute("CREATE TEMP TABLE copy_bench (LIKE promotions_coupon INCLUDING DEFAULTS)")
        timings = []
        for table in ("copy_bench", "promotions_coupon"):
            started = time.perf_counter()
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the checks a commit would do, inside the timing
            timings.append(time.perf_counter() - started)
        conn.rollback()
    return timings[0], timings[1]


def quote_latency(url: str, owner_id: int, rounds: int = 500) -> list[float]:
    """Quotes with "auto" for a member holding 60 coupons (61 with the one everybody got), in-process (no
    HTTP): milliseconds each."""
    from django.db import transaction
    from django.utils import timezone

    from mendian.catalog.models import Category, Product
    from mendian.members.models import Member
    from mendian.pos.services.checkout import sale_quote
    from mendian.pos.services.context import CartLineRequest, SaleRequest
    from mendian.promotions.coupons import issue_coupons
    from mendian.promotions.models import CouponStock, CouponTemplate
    from mendian.tenancy.access import Access
    from mendian.tenancy.models import Staff, Store

    access = Access.for_staff(Staff.objects.get(pk=owner_id))
    merchant = access.merchant
    store = Store.objects.filter(merchant=merchant).first()
    member = Member.objects.filter(merchant=merchant).order_by("-id").first()
    drinks, food = (Category.objects.create(merchant=merchant, name=n) for n in ("饮品", "烘焙"))
    products = [Product.objects.create(merchant=merchant, name=f"商品{i}", price_fen=1500 + 700 * i,
                                       category=drinks if i % 2 else food) for i in range(8)]
    kinds = [dict(kind="amount_off", amount_fen=1000, min_spend_fen=5000), dict(kind="amount_off", amount_fen=3000,
             min_spend_fen=20000), dict(kind="percent_off", percent=90), dict(kind="percent_off", percent=80,
             max_discount_fen=2000), dict(kind="voucher", amount_fen=500), dict(kind="item", item_mode="free"),
             dict(kind="item", item_mode="percent", percent=50)]
    with transaction.atomic():
        for i in range(12):
            fields = dict(kinds[i % len(kinds)])
            if i % 3 == 0:
                fields.update(stackable=True, stack_group="节日" if i % 2 else "")
            if i % 4 == 1:
                fields["include_category_ids"] = [drinks.pk]
            template = CouponTemplate.objects.create(merchant=merchant, name=f"券{i}", valid_days=30, **fields)
            CouponStock.objects.create(template=template)
            issue_coupons(template=template, member_ids=[member.pk], when=timezone.now(), tz_name=merchant.timezone,
                          copies=5)
    request = SaleRequest(store=store, member_id=member.pk, coupon_selection="auto",
                          lines=tuple(CartLineRequest(p.pk, 1 + i % 3) for i, p in enumerate(products[:5])))
    held = len(sale_quote(access=access, request=request).coupons)
    assert held == 61, held  # the sixty, and the one every member got above
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        quote = sale_quote(access=access, request=request)
        timings.append((time.perf_counter() - started) * 1000)
    assert quote.priced.coupon_discount_fen > 0
    return sorted(timings)


def _run_child(arguments: list[str], url: str) -> dict:
    result = subprocess.run([sys.executable, __file__, *arguments, "--database-url", url], capture_output=True,
                            text=True, check=False)
    if result.returncode:
        sys.exit(f"{arguments[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--issue", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        child_seed(args.database_url, args.seed)
        return
    if args.issue:
        child_issue(args.database_url, *args.issue)
        return
    recreate_database(args.database_url)
    started = time.perf_counter()
    world = _run_child(["--seed", str(args.members)], args.database_url)
    seeded = time.perf_counter() - started
    figures = _run_child(["--issue", str(world["template"]), str(world["owner"])], args.database_url)
    scratch_s, table_s = raw_copies(args.database_url, figures["issued"], world["template"])
    _setup(args.database_url)
    from django.core.management import call_command

    call_command("check_ledgers", verbosity=0)
    timings = quote_latency(args.database_url, world["owner"])
    issue_s = figures["create_s"] + figures["issue_s"]
    count = figures["issued"]
    print(f"coupon issue benchmark: {count:,} coupons to {args.members:,} members, PostgreSQL "
          f"(members seeded in {seeded:.0f} s)")
    print(f"  issue run:  {issue_s:6.1f} s ({figures['create_s']:.1f} s to start it, {figures['issue_s']:.1f} s to "
          f"issue), {count / issue_s:,.0f} coupons/s, peak memory of the issuing process {figures['peak_mb']:.0f} MB")
    print(f"  raw COPY of {count:,} coupon rows into an unindexed table: {scratch_s:5.1f} s → ratio "
          f"{issue_s / scratch_s:.1f}×")
    print(f"  raw COPY of {count:,} coupon rows into the coupons table (its indexes and constraints): "
          f"{table_s:5.1f} s → ratio {issue_s / table_s:.1f}×")
    n = len(timings)
    print(f"  quote with \"auto\", 60 coupons held, {n} quotes in-process: p50 {timings[n // 2]:.2f} ms, "
          f"p95 {timings[int(n * 0.95)]:.2f} ms, p99 {timings[int(n * 0.99)]:.2f} ms")
    print("  check_ledgers: coupon stock equals the coupons issued")


if __name__ == "__main__":
    main()
