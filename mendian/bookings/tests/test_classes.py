"""Classes: places, the waitlist and its promotion, attendance, and their refusals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.bookings.models import ClassBooking, ClassSession
from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
from mendian.core.messaging import MemoryBackend
from mendian.members.testing import make_member

pytestmark = pytest.mark.django_db


def _class(world, capacity=2, start=None, **extra):
    start = start or f"{future_day(world)}T19:00:00+08:00"
    response = world.api().post("/classes", {"store_id": world.stores[0].pk, "name": "瑜伽入门", "start": start,
                                             "duration_min": 60, "capacity": capacity, **extra})
    assert response.status_code == 201, response.data
    return response.data


def test_a_full_class_is_409_unless_waitlisted_and_a_cancel_promotes_the_first_in_line(
        world, django_capture_on_commit_callbacks):
    MemoryBackend.outbox.clear()
    klass = _class(world, capacity=2)
    client = world.api()
    members = [make_member(world) for _ in range(4)]
    places = [client.post(f"/classes/{klass['id']}/bookings", {"member_id": m.pk}) for m in members[:2]]
    assert [p.data["status"] for p in places] == ["confirmed", "confirmed"]
    full = client.post(f"/classes/{klass['id']}/bookings", {"member_id": members[2].pk})
    assert full.status_code == 409 and full.data["error"]["code"] == "class_full"
    waiting = [client.post(f"/classes/{klass['id']}/bookings", {"member_id": m.pk, "waitlist": True})
               for m in members[2:]]
    assert [(w.status_code, w.data["status"], w.data["waitlist_position"]) for w in waiting] == [
        (201, "waitlisted", 1), (201, "waitlisted", 2)]
    assert client.get(f"/classes/{klass['id']}").data | {"booked": 2, "waitlisted": 2} == client.get(
        f"/classes/{klass['id']}").data
    # when a confirmed member cancels
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.post(f"/class-bookings/{places[0].data['id']}/cancel")
    # then the first on the waitlist has the place, the second moves up
    assert cancelled.data["status"] == "cancelled"
    assert ClassBooking.objects.get(pk=waiting[0].data["id"]).status == "confirmed"
    assert client.get(f"/classes/{klass['id']}").data["booked"] == 2
    statuses = {p["member_id"]: (p["status"], p["waitlist_position"])
                for p in client.get(f"/classes/{klass['id']}/bookings").data}
    assert statuses[members[3].pk] == ("waitlisted", 1)
    assert [m.phone for m in MemoryBackend.outbox] == [members[2].phone]
    # leaving the waitlist promotes nobody
    client.post(f"/class-bookings/{waiting[1].data['id']}/cancel")
    assert client.get(f"/classes/{klass['id']}").data | {"booked": 2, "waitlisted": 0} == client.get(
        f"/classes/{klass['id']}").data


def test_one_place_per_member_and_no_booking_after_the_start(world):
    klass = _class(world)
    member = make_member(world)
    client = world.api()
    assert client.post(f"/classes/{klass['id']}/bookings", {"member_id": member.pk}).status_code == 201
    again = client.post(f"/classes/{klass['id']}/bookings", {"member_id": member.pk, "waitlist": True})
    assert again.status_code == 409 and again.data["error"]["code"] == "already_booked"
    ClassSession.objects.filter(pk=klass["id"]).update(start_at=timezone.now() - timedelta(minutes=5))
    late = client.post(f"/classes/{klass['id']}/bookings", {"member_id": make_member(world).pk})
    assert late.status_code == 409 and late.data["error"]["code"] == "class_closed"


def test_attendance_and_no_show(world):
    klass = _class(world)
    client = world.api()
    here, away = (client.post(f"/classes/{klass['id']}/bookings", {"member_id": make_member(world).pk}).data
                  for _ in range(2))
    assert client.post(f"/class-bookings/{here['id']}/check-in").data["error"]["code"] == "too_early_to_check_in"
    ClassSession.objects.filter(pk=klass["id"]).update(start_at=timezone.now() - timedelta(minutes=5))
    assert client.post(f"/class-bookings/{here['id']}/check-in").data["status"] == "attended"
    assert client.post(f"/class-bookings/{away['id']}/no-show").data["status"] == "no_show"
    assert client.get(f"/classes/{klass['id']}").data["booked"] == 2


def test_a_weekly_timetable_and_the_coach_is_blocked_for_appointments(world):
    service = make_service(world, duration_min=60)
    coach = make_resource(world, [service])
    day = future_day(world)
    klass = _class(world, start=f"{day}T10:00:00+08:00", resource_id=coach.pk, repeat_weeks=3)
    starts = [s.start_at for s in ClassSession.objects.filter(pk__in=klass["series_ids"]).order_by("start_at")]
    assert starts == [at(day, "10:00") + timedelta(weeks=w) for w in range(3)]
    slots = world.api().get(f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}&date={day}"
                            f"&resource_id={coach.pk}").data["slots"]
    assert not [s for s in slots if s["start"][11:16] in ("09:30", "10:00", "10:30")]
    assert any(s["start"][11:16] == "11:00" for s in slots)
    # a class over a booking of the coach is refused
    make_booking(world, service, make_member(world), at(day, "15:00"), resource=coach)
    response = world.api().post("/classes", {"store_id": world.stores[0].pk, "name": "普拉提",
                                             "start": f"{day}T15:30:00+08:00", "duration_min": 45, "capacity": 5,
                                             "resource_id": coach.pk})
    assert response.status_code == 409 and response.data["error"]["code"] == "slot_taken"


@pytest.mark.parametrize(("field", "value", "code"), [
    ("duration_min", 0, "invalid_duration"), ("capacity", 0, "invalid_capacity"),
    ("start", "2020-01-01T10:00:00+08:00", "slot_unavailable"), ("repeat_weeks", 99, "invalid_repeat")])
def test_bad_classes_are_422(world, field, value, code):
    body = {"store_id": world.stores[0].pk, "name": "瑜伽", "start": f"{future_day(world)}T19:00:00+08:00",
            "duration_min": 60, "capacity": 10}
    response = world.api().post("/classes", body | {field: value})
    assert response.status_code == 422 and response.data["error"]["code"] == code
    assert not ClassSession.objects.filter(merchant=world.merchant).exists()
