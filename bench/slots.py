"""Benchmark: slot search for a store with 20 resources and 500 existing bookings over 7 days (PostgreSQL).

    .venv/bin/python bench/slots.py [--database-url postgres://postgres@127.0.0.1:5432/bench_slots]
                                    [--searches 1000]

Builds a store open 09:00–21:00 with 20 resources (16 stylists and beauticians, 4 rooms; all working
every day, one with a day off), four services (45–120 minutes with buffers; facial care needs a staff
member and a room at once) and 500 bookings over the next 7 days made by the real booking service at
free times. Then, in one process, it searches the free slots of a random service on a random one of
those days ``--searches`` times — half for any resource, a quarter for one named stylist, a quarter
for the staff-and-room service — twice: through the selector (``slots_for``, what every page and the
API call) and through the REST endpoint (``GET /api/v1/bookings/slots`` with a bearer token, in-process
test client: routing, auth, JSON). It prints p50/p95/p99 of both, and as a baseline measured in the
same run the bare SQL query that reads the day's bookings of the store (what no search can avoid).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import recreate_database, setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_slots"
RESOURCES = 20
BOOKINGS = 500
DAYS = 7


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": cut[49], "p95": cut[94], "p99": cut[98], "max": ordered[-1]}


def build(rng: random.Random):
    from django.core.management import call_command

    from mendian.bookings.selectors import slots_for
    from mendian.bookings.services.bookings import booking_create
    from mendian.bookings.services.resources import requirements_set, resource_create, schedule_set
    from mendian.catalog.models import Product
    from mendian.core.time import local_today
    from mendian.members.bulk import NewMember, bulk_register
    from mendian.members.models import Member
    from mendian.tenancy.access import Access
    from mendian.tenancy.models import Store
    from mendian.tenancy.services.merchants import merchant_create

    call_command("migrate", verbosity=0)
    created = merchant_create(name="预约基准", owner_username="bench_owner", owner_password="Bench-pass-2026",
                              store_name="一号店")
    store = created.store
    Store.objects.filter(pk=store.pk).update(opening_hours=[{"weekday": d, "start": "09:00", "end": "21:00"}
                                                            for d in range(7)])
    store.refresh_from_db()
    access = Access.for_staff(created.owner)
    merchant = created.merchant
    services = [Product.objects.create(merchant=merchant, name=name, kind="service", price_fen=price,
                                       duration_min=minutes, buffer_min=buffer)
                for name, price, minutes, buffer in (("洗剪吹", 8800, 45, 10), ("染发", 39800, 120, 15),
                                                     ("头皮护理", 19800, 60, 10), ("面部护理", 26800, 90, 15))]
    week = [{"weekday": d, "start": "09:00", "end": "21:00"} for d in range(7)]
    staff = [resource_create(access=access, store_id=store.pk, name=f"技师{i + 1}", kind="staff",
                             product_ids=[s.pk for s in services], weekly=week) for i in range(RESOURCES - 4)]
    rooms = [resource_create(access=access, store_id=store.pk, name=f"护理间{i + 1}", kind="room",
                             product_ids=[services[3].pk], weekly=week) for i in range(4)]
    requirements_set(access=access, product_id=services[3].pk, kinds=["room", "staff"])
    today = local_today(store.timezone)
    days = [today + timedelta(days=i) for i in range(1, DAYS + 1)]
    schedule_set(access=access, resource=staff[0], weekly=week, exceptions=[{"date": days[2], "closed": True}])
    now = datetime.now().astimezone()
    ids = bulk_register(merchant_id=merchant.pk, rows=[NewMember(phone=f"1390000{i:04d}", store_id=store.pk)
                                                       for i in range(300)],
                        channel="import", when=now, today=today, expire_after_days=None, taken_cards=set())
    members = list(Member.objects.filter(pk__in=ids).values_list("pk", flat=True))
    made = 0
    while made < BOOKINGS:
        service, day = rng.choice(services), rng.choice(days)
        slots = slots_for(access=access, store_id=store.pk, product_id=service.pk, day=day)
        if not slots:
            continue
        slot = rng.choice(slots)
        booking_create(access=access, store_id=store.pk, product_id=service.pk, member_id=rng.choice(members),
                       start=slot.start, resource_id=slot.resource_ids[0] if len(slot.resource_ids) == 1 else None)
        made += 1
    return access, store, services, staff, rooms, days, created.owner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--searches", type=int, default=1000)
    args = parser.parse_args()
    recreate_database(args.database_url)
    setup(args.database_url)
    from django.db import connection
    from django.test import Client

    from mendian.bookings.models import Booking
    from mendian.bookings.selectors import slots_for
    from mendian.core.time import day_bounds
    from mendian.tenancy.services.tokens import token_issue_login

    rng = random.Random(20261128)
    started = time.perf_counter()
    access, store, services, staff, _rooms, days, owner = build(rng)
    print(f"built {Booking.objects.count()} bookings, {len(staff) + len(_rooms)} resources, {len(days)} days "
          f"in {time.perf_counter() - started:.1f} s")
    requests = []
    for i in range(args.searches):
        day = rng.choice(days)
        if i % 4 == 0:
            requests.append((services[3], day, None))
        elif i % 4 == 1:
            requests.append((rng.choice(services[:3]), day, rng.choice(staff)))
        else:
            requests.append((rng.choice(services[:3]), day, None))
    for service, day, resource in requests[:50]:  # warm-up
        slots_for(access=access, store_id=store.pk, product_id=service.pk, day=day,
                  resource_id=resource.pk if resource else None)

    selector, counts = [], []
    for service, day, resource in requests:
        t0 = time.perf_counter()
        slots = slots_for(access=access, store_id=store.pk, product_id=service.pk, day=day,
                          resource_id=resource.pk if resource else None)
        selector.append((time.perf_counter() - t0) * 1000)
        counts.append(len(slots))

    token, _ = token_issue_login(staff=owner)
    client = Client(headers={"Authorization": f"Bearer {token}"}, HTTP_HOST="127.0.0.1")
    api = []
    for service, day, resource in requests:
        url = f"/api/v1/bookings/slots?store_id={store.pk}&product_id={service.pk}&date={day.isoformat()}"
        if resource:
            url += f"&resource_id={resource.pk}"
        t0 = time.perf_counter()
        response = client.get(url)
        api.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content

    baseline = []
    with connection.cursor() as cursor:
        for _service, day, _resource in requests:
            start, end = day_bounds(day, store.timezone)
            t0 = time.perf_counter()
            cursor.execute('SELECT br.resource_id, br.start_at, br.block_end_at FROM "bookings_bookingresource" br '
                           'JOIN "bookings_resource" r ON r.id = br.resource_id '
                           "WHERE r.store_id = %s AND br.is_active AND br.start_at < %s AND br.block_end_at > %s",
                           [store.pk, end, start])
            cursor.fetchall()
            baseline.append((time.perf_counter() - t0) * 1000)

    print(f"{args.searches} searches, {statistics.mean(counts):.0f} free slots on average "
          f"({min(counts)}–{max(counts)})")
    rows = [("slot search (selector)", selector), ("GET /api/v1/bookings/slots", api),
            ("baseline: bare SQL of the day's holds", baseline)]
    print(f"{'':40} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)")
    for name, samples in rows:
        p = _percentiles(samples)
        print(f"{name:40} {p['p50']:8.2f} {p['p95']:8.2f} {p['p99']:8.2f} {p['max']:8.2f}")
    p99 = _percentiles(api)["p99"]
    print(f"API p99 / baseline p99: {p99 / _percentiles(baseline)['p99']:.1f}x; target p99 < 50 ms: "
          f"{'met' if p99 < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
