"""Benchmark: concurrent checkouts (``POST /orders``) against the production server, beside pgbench.

    .venv/bin/python bench/checkout.py [--members 100000] [--clients 16] [--duration 30] [--workers 4]
                                       [--stores 8] [--database-url postgres://…/mendian_bench]

Seeds a chain (levels with discounts, a points rule, three products, ``--stores`` stores) and
``--members`` members with levels, stored value and points; starts gunicorn (the production server,
``DEBUG`` off) and runs ``wrk`` (a C load generator, one thread) with ``--clients`` connections for
``--duration`` seconds. Every request is a checkout for a random member with a level discount: three
lines, 100 points redeemed, stored value plus cash with change, a fresh ``Idempotency-Key``. Then it
counts the SQL statements of one checkout, checks every ledger, and runs ``pgbench`` (TPC-B-like,
same clients, same server) for the same time. Printed: orders/s, p50/p95/p99 latency, pgbench tps
and the ratio, statements per checkout, and how the CPU time was shared between the processes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

from _django import recreate_database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mendian_bench"
PORT = 8765
POINTS = 100
STORED_VALUE_FEN = 5000

LUA = r"""
local members = {}
for line in io.lines("%(members)s") do
  local id, payable = line:match("(%%d+) (%%d+)")
  members[#members + 1] = {tonumber(id), tonumber(payable)}
end
local stores = {%(stores)s}
local path = "/api/v1/orders"
local template = '{"store_id":%%d,"member_id":%%d,"lines":[%(lines)s],"points":%(points)d,' ..
  '"payments":[{"method":"stored_value","amount_fen":%(stored)d},' ..
  '{"method":"cash","amount_fen":%%d,"tendered_fen":%%d}]}'
local counter = 0
local shown = 0
local seed = os.time()

request = function()
  counter = counter + 1
  local m = members[math.random(#members)]
  local cash = m[2] - %(stored)d
  local tendered = math.ceil(cash / 10000) * 10000
  local body = string.format(template, stores[math.random(#stores)], m[1], cash, tendered)
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s",
                   ["Idempotency-Key"] = string.format("bench-%%d-%%d-%%d", seed, counter, math.random(1000000000))}
  return wrk.format("POST", path, headers, body)
end

response = function(status, headers, body)
  if status ~= 200 and shown < 5 then
    shown = shown + 1
    io.stderr:write(status .. " " .. body .. "\n")
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('RESULT {"requests":%%d,"duration_us":%%d,"non2xx":%%d,"socket_errors":%%d,' ..
    '"p50":%%d,"p95":%%d,"p99":%%d,"max":%%d}\n', summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def setup_django(url: str) -> None:
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _django import setup

    setup(url)


def seed(members: int, store_count: int) -> dict:
    """The chain, its catalogue and members, written through the services (members in bulk)."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from mendian.catalog.models import Product
    from mendian.catalog.services import stock_receive
    from mendian.core.time import local_today
    from mendian.loyalty.models import Level, PointsRule
    from mendian.members.bulk import NewMember, bulk_register
    from mendian.tenancy.access import Access
    from mendian.tenancy.services.merchants import merchant_create
    from mendian.tenancy.services.stores import store_create_unchecked
    from mendian.tenancy.services.tokens import token_create_integration

    call_command("migrate", verbosity=0)
    created = merchant_create(name="收银基准", owner_username="bench_owner", owner_password="Bench-pass-2026",
                              store_name="一号店")
    merchant, access = created.merchant, Access.for_staff(created.owner)
    stores = [created.store] + [store_create_unchecked(merchant=merchant, name=f"{n}号店", code=f"B{n:03d}")
                                for n in range(2, store_count + 1)]
    Level.objects.create(merchant=merchant, name="普通", rank=0, discount_pct=100)
    levels = [Level.objects.create(merchant=merchant, name=name, rank=rank, discount_pct=pct,
                                   points_multiplier_pct=mult, threshold=10**12)
              for rank, (name, pct, mult) in enumerate([("银卡", 95, 100), ("金卡", 90, 150), ("钻石", 85, 200)], 1)]
    PointsRule.objects.update_or_create(merchant=merchant, defaults={
        "points_per_yuan": 1, "redeem_points": 100, "redeem_fen": 100, "max_redeem_pct": 50})
    products = [
        Product.objects.create(merchant=merchant, name="洗剪吹", kind="service", price_fen=8800, member_price_fen=6800),
        Product.objects.create(merchant=merchant, name="洗发水", price_fen=10000, cost_fen=4000, track_stock=True),
        Product.objects.create(merchant=merchant, name="发圈", price_fen=333),
    ]
    for store in stores:
        stock_receive(access=access, store=store, product=products[1], quantity=1_000_000)
    rng = random.Random(7)
    rows = []
    phones = rng.sample(range(10**9), members)
    now = timezone.now()
    for phone in phones:
        rows.append(NewMember(phone=f"13{phone:09d}", name="会员", store_id=rng.choice(stores).pk,
                              level_id=rng.choice(levels).pk, points=100_000, principal_fen=2_000_000,
                              bonus_fen=1_000_000, joined_at=now - timedelta(days=rng.randint(1, 400))))
    ids: list[int] = []
    taken: set[int] = set()
    for start in range(0, len(rows), 10_000):
        with transaction.atomic():
            ids += bulk_register(merchant_id=merchant.pk, rows=rows[start:start + 10_000], channel="import",
                                 when=now, today=local_today(merchant.timezone), expire_after_days=None,
                                 taken_cards=taken)
    raw, _token = token_create_integration(access=access, name="bench")
    return {"token": raw, "stores": [s.pk for s in stores], "products": [p.pk for p in products],
            "members": [(mid, row.level_id) for mid, row in zip(ids, rows, strict=True)]}


def body(world: dict, member_id: int, store_id: int, payable: int | None = None) -> dict:
    data = {"store_id": store_id, "member_id": member_id, "points": POINTS,
            "lines": [{"product_id": pid, "qty": qty} for pid, qty in zip(world["products"], (1, 1, 2), strict=True)]}
    if payable is not None:
        cash = payable - STORED_VALUE_FEN
        data["payments"] = [{"method": "stored_value", "amount_fen": STORED_VALUE_FEN},
                            {"method": "cash", "amount_fen": cash, "tendered_fen": -(-cash // 10000) * 10000}]
    return data


def api(method: str, path: str, token: str, data: dict | None = None, key: str | None = None) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}/api/v1{path}", method=method,
                                     data=json.dumps(data).encode() if data is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                              **({"Idempotency-Key": key} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        sys.exit(f"{method} {path} answered {error.code}: {error.read().decode()[:500]}")


def payables(world: dict) -> dict[int, int]:
    """Payable per level, asked of the server (``POST /orders/quote``) for one member of each level."""
    found: dict[int, int] = {}
    for member_id, level_id in world["members"]:
        if level_id not in found:
            found[level_id] = api("POST", "/orders/quote", world["token"], body(world, member_id, world["stores"][0]))[
                "payable_fen"]
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def processes(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def children(parent: int) -> list[int]:
    pids = [parent]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def machine_busy() -> tuple[float, float]:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK"), sum(fields) / os.sysconf("SC_CLK_TCK")


def start_server(url: str, redis_url: str, workers: int) -> subprocess.Popen:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            sys.exit(f"port {PORT} is taken: stop what listens there first")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "mendian.config.settings.base",
           "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "REDIS_URL": redis_url}
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "mendian.config.wsgi", "--bind", f"127.0.0.1:{PORT}",
                               "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/docs", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def run_wrk(script: Path, clients: int, duration: int) -> tuple[dict, float]:
    started = time.perf_counter()
    result = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
                             f"http://127.0.0.1:{PORT}"], capture_output=True, text=True, check=True)
    if result.stderr.strip():
        print("  first refused requests:\n    " + result.stderr.strip().replace("\n", "\n    ")[:2000])
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[7:]), time.perf_counter() - started


def statements_per_checkout(world: dict, payable: dict[int, int]) -> list[str]:
    """One checkout through the whole request stack (middleware, auth, idempotency), its SQL captured."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()

    def checkout(index: int) -> list[str]:
        member_id, level_id = world["members"][-index]
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/v1/orders", json.dumps(body(world, member_id, world["stores"][-1],
                                                                        payable[level_id])),
                                   content_type="application/json",
                                   headers={"Authorization": f"Bearer {world['token']}",
                                            "Idempotency-Key": f"bench-count-{index}"})
        assert response.status_code == 200, response.content
        return [q["sql"] for q in captured.captured_queries
                if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT"))]

    checkout(1)
    return checkout(2)


def pgbench(url: str, clients: int, duration: int) -> float:
    base, _name = url.rsplit("/", 1)
    name = "mendian_pgbench"
    recreate_database(f"{base}/{name}")
    target = re.match(r"postgres(?:ql)?://(?P<user>[^@/]+)@(?P<host>[^:/]+):(?P<port>\d+)", base)
    if target is None:
        sys.exit("pass --database-url as postgres://user@host:port/name for pgbench")
    options = ["-h", target["host"], "-p", target["port"], "-U", target["user"]]
    subprocess.run(["pgbench", "-i", "-q", "-s", str(clients), *options, name], check=True, capture_output=True)
    result = subprocess.run(["pgbench", "-c", str(clients), "-j", "2", "-T", str(duration), *options, name],
                            capture_output=True, text=True, check=True)
    return float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--stores", type=int, default=8)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one checkout")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
                        help="the server's cache (emptied first)")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = args.redis_url
    if subprocess.run(["which", "wrk"], capture_output=True).returncode:
        subprocess.run(["bash", str(ROOT / "scripts/apt-install.sh"), "wrk"], check=True)
    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.cache import cache

    cache.clear()
    started = time.perf_counter()
    world = seed(args.members, args.stores)
    print(f"checkout benchmark: {args.members:,} members, {args.stores} stores, {args.clients} clients, "
          f"{args.duration} s, gunicorn {args.workers} workers (seeded in {time.perf_counter() - started:.0f} s)")
    from django.db import connection

    connection.close()
    server = start_server(args.database_url, args.redis_url, args.workers)
    try:
        payable = payables(world)
        with tempfile.TemporaryDirectory() as scratch:
            members = Path(scratch) / "members.txt"
            members.write_text("".join(f"{m} {payable[lv]}\n" for m, lv in world["members"]))
            script = Path(scratch) / "checkout.lua"
            lines = ",".join(f'{{"product_id":{p},"qty":{q}}}' for p, q in zip(world["products"], (1, 1, 2),
                                                                             strict=True))
            script.write_text(LUA % {"members": members, "stores": ",".join(map(str, world["stores"])),
                                     "lines": lines.replace("%", "%%"), "points": POINTS,
                                     "stored": STORED_VALUE_FEN, "token": world["token"]})
            run_wrk(script, args.clients, 3)  # warm-up: connections, caches, the workers' imports
            workers, pg = children(server.pid), processes("postgres")
            before = (cpu_seconds(workers), cpu_seconds(pg), machine_busy())
            figures, wall = run_wrk(script, args.clients, args.duration)
            after = (cpu_seconds(workers), cpu_seconds(pg), machine_busy())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    from django.core.management import call_command

    from mendian.pos.models import Order

    statements = statements_per_checkout(world, payable)
    call_command("check_ledgers", verbosity=0)
    orders = Order.objects.count()
    tps = pgbench(args.database_url, args.clients, args.duration)
    ok = figures["requests"] - figures["non2xx"] - figures["socket_errors"]
    rate = ok / (figures["duration_us"] / 1e6)
    busy = after[2][0] - before[2][0]
    total = after[2][1] - before[2][1]
    app_cpu, pg_cpu = after[0] - before[0], after[1] - before[1]
    print(f"  checkouts:        {figures['requests']:,} sent, {ok:,} answered 200, {figures['non2xx']} refused, "
          f"{figures['socket_errors']} socket errors ({orders:,} orders in the database)")
    print(f"  orders/s:         {rate:,.1f}")
    print(f"  latency:          p50 {figures['p50'] / 1000:.1f} ms, p95 {figures['p95'] / 1000:.1f} ms, "
          f"p99 {figures['p99'] / 1000:.1f} ms, max {figures['max'] / 1000:.1f} ms")
    print(f"  pgbench (TPC-B-like, scale {args.clients}, {args.clients} clients): {tps:,.1f} tps")
    print(f"  orders/s ÷ pgbench tps: {rate / tps:.3f}")
    print(f"  SQL statements per checkout: {len(statements)} (BEGIN and COMMIT not counted)")
    print(f"  CPU during the run ({wall:.0f} s wall, 2 cores = {total:.0f} core-s, {busy:.0f} busy): "
          f"gunicorn {app_cpu:.0f} s ({app_cpu / max(ok, 1) * 1000:.2f} ms/order), "
          f"PostgreSQL {pg_cpu:.0f} s ({pg_cpu / max(ok, 1) * 1000:.2f} ms/order), "
          f"wrk and the rest {busy - app_cpu - pg_cpu:.0f} s")
    print("  check_ledgers: every balance equals the sum of its entries")
    if args.show_sql:
        for number, sql in enumerate(statements, 1):
            print(f"  {number:2d}. {sql[:160]}")


if __name__ == "__main__":
    main()
