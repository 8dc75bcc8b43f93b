"""Bookings under concurrent load (PostgreSQL): real threads, one connection each."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection

from mendian.bookings.models import Booking, BookingResource, ClassBooking
from mendian.bookings.testing import at, future_day, make_resource, make_service
from mendian.core.testing.concurrency import run_together
from mendian.members.bulk import NewMember, bulk_register
from mendian.members.models import Member
from mendian.members.testing import make_member
from mendian.tenancy.testing import make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _members(world, count):
    from django.utils import timezone

    ids = bulk_register(merchant_id=world.merchant.pk,
                        rows=[NewMember(phone=f"1360000{i:04d}", store_id=world.stores[0].pk) for i in range(count)],
                        channel="import", when=timezone.now(), today=timezone.now().date(), expire_after_days=None,
                        taken_cards=set())
    return list(Member.objects.filter(pk__in=ids).order_by("id"))


def test_fifty_concurrent_bookings_for_the_last_places_of_a_ten_person_class():
    # given a class of 10 places
    world = make_world("团课并发")
    client = world.api()
    klass = client.post("/classes", {"store_id": world.stores[0].pk, "name": "瑜伽", "duration_min": 60,
                                     "capacity": 10, "start": at(future_day(world), "19:00").isoformat()}).data
    members = _members(world, 56)
    for member in members[:6]:  # six places already taken: four are left
        assert client.post(f"/classes/{klass['id']}/bookings", {"member_id": member.pk}).status_code == 201
    racers = members[6:]
    clients = [world.api() for _ in range(50)]
    # when 50 members book the last places at once, half of them willing to wait
    responses = run_together(50, lambda i: clients[i].post(
        f"/classes/{klass['id']}/bookings", {"member_id": racers[i].pk, "waitlist": i % 2 == 0},
        key=str(uuid.uuid4())))
    # then exactly 10 are confirmed in all (4 of the racers); the others waitlisted if they asked, else 409
    outcomes = [(r.status_code, r.data["status"] if r.status_code == 201 else r.data["error"]["code"])
                for r in responses]
    assert outcomes.count((201, "confirmed")) == 4
    assert {o for i, o in enumerate(outcomes) if i % 2 == 0} <= {(201, "confirmed"), (201, "waitlisted")}
    assert {o for i, o in enumerate(outcomes) if i % 2 == 1} <= {(201, "confirmed"), (409, "class_full")}
    assert ClassBooking.objects.filter(session_id=klass["id"], status="confirmed").count() == 10
    assert client.get(f"/classes/{klass['id']}").data["booked"] == 10


def test_two_concurrent_bookings_of_one_stylist_at_overlapping_times_give_one():
    world = make_world("技师并发")
    service = make_service(world, duration_min=60, buffer_min=15)
    stylist = make_resource(world, [service])
    day = future_day(world)
    first, second = make_member(world), make_member(world)
    clients = [world.api(), world.api()]
    starts = [at(day, "10:00"), at(day, "10:30")]
    bodies = [{"store_id": world.stores[0].pk, "product_id": service.pk, "member_id": m.pk, "resource_id": stylist.pk,
               "start": s.isoformat()} for m, s in zip((first, second), starts, strict=True)]
    for _round in range(5):
        Booking.objects.filter(merchant=world.merchant).delete()
        responses = run_together(2, lambda i: clients[i].post("/bookings", bodies[i], key=str(uuid.uuid4())))
        codes = sorted(r.status_code for r in responses)
        assert codes == [201, 409]
        assert [r.data["error"]["code"] for r in responses if r.status_code == 409] == ["slot_taken"]
        holds = list(BookingResource.objects.filter(resource=stylist, is_active=True))
        assert len(holds) == 1
        starts_after = [h.start_at for h in holds]
        assert all(s in starts for s in starts_after)
        assert holds[0].block_end_at - holds[0].start_at == timedelta(minutes=75)


def test_booking_locks_the_resource_rows_before_reading_what_holds_them():
    world = make_world("锁")
    service = make_service(world)
    make_resource(world, [service])
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        world.api().post("/bookings", {"store_id": world.stores[0].pk, "product_id": service.pk,
                                       "member_id": make_member(world).pk,
                                       "start": at(future_day(world), "11:00").isoformat()})
    sql = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s and "bookings_resource" in s)
    read = next(i for i, s in enumerate(sql) if 'FROM "bookings_bookingresource"' in s)
    assert lock < read
