"""Reminders the day before and two hours before, and plan reminders to member and staff: each exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.bookings.models import Booking, ClassSession, Reminder
from mendian.bookings.services.plans import plan_assign, plan_template_create
from mendian.bookings.services.reminders import plan_reminders, reminders_day_before, reminders_two_hours
from mendian.bookings.tasks import booking_reminders_daily, booking_reminders_soon
from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
from mendian.core.messaging import MemoryBackend
from mendian.core.scheduling import enqueue_due, enqueue_periodic
from mendian.members.testing import make_member
from mendian.tenancy.models import Staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox():
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


def test_the_day_before_reminder_goes_once_to_each_booking_of_tomorrow(world, outbox):
    service = make_service(world, name="精致洗剪吹")
    make_resource(world, [service])
    today = future_day(world, days=3)
    tomorrow_member, later_member = make_member(world), make_member(world)
    booking = make_booking(world, service, tomorrow_member, at(today + timedelta(days=1), "10:00"))
    make_booking(world, service, later_member, at(today + timedelta(days=2), "10:00"))
    cancelled = make_booking(world, service, make_member(world), at(today + timedelta(days=1), "15:00"))
    Booking.objects.filter(pk=cancelled.pk).update(status="cancelled")
    # when the daily job runs twice (a second scheduler, a retry)
    assert reminders_day_before(merchant=world.merchant, today=today) == 1
    assert reminders_day_before(merchant=world.merchant, today=today) == 0
    # then
    assert [m.phone for m in outbox] == [tomorrow_member.phone]
    assert "精致洗剪吹" in outbox[0].text and "10:00" in outbox[0].text
    assert Reminder.objects.get(ref_type="booking", ref_id=booking.pk).kind == "day_before"


def test_two_hours_before_once_and_not_for_bookings_made_inside_the_window(world, outbox):
    service = make_service(world)
    make_resource(world, [service])
    day = future_day(world)
    early = make_booking(world, service, make_member(world), at(day, "10:00"))
    late = make_booking(world, service, make_member(world), at(day, "12:00"))
    # the second was booked only an hour before it starts
    Booking.objects.filter(pk=late.pk).update(created_at=at(day, "11:00"))
    now = at(day, "10:00") - timedelta(minutes=100)
    assert reminders_two_hours(now=now) == 1
    assert reminders_two_hours(now=now + timedelta(minutes=5)) == 0
    assert reminders_two_hours(now=at(day, "10:30")) == 0
    assert [m.phone for m in outbox] == [early.member.phone]


def test_class_places_are_reminded_too(world, outbox):
    day = future_day(world, days=3)
    klass = world.api().post("/classes", {"store_id": world.stores[0].pk, "name": "瑜伽", "start": f"{day}T19:00:00",
                                          "duration_min": 60, "capacity": 5}).data
    member = make_member(world)
    world.api().post(f"/classes/{klass['id']}/bookings", {"member_id": member.pk})
    assert ClassSession.objects.get(pk=klass["id"]).start_at == at(day, "19:00")
    assert reminders_day_before(merchant=world.merchant, today=day - timedelta(days=1)) == 1
    assert "瑜伽" in outbox[0].text and outbox[0].phone == member.phone


def test_a_failed_send_is_tried_again_later(world, outbox, settings):
    service = make_service(world)
    make_resource(world, [service])
    today = future_day(world, days=3)
    make_booking(world, service, make_member(world), at(today + timedelta(days=1), "10:00"))
    settings.MESSAGING_BACKEND = "mendian.bookings.tests.test_reminders.BrokenBackend"
    with pytest.raises(ConnectionError):
        reminders_day_before(merchant=world.merchant, today=today)
    assert not Reminder.objects.exists()
    settings.MESSAGING_BACKEND = "mendian.core.messaging.MemoryBackend"
    assert reminders_day_before(merchant=world.merchant, today=today) == 1


class BrokenBackend:
    def send(self, phone, text):
        raise ConnectionError("provider down")


def test_plan_sessions_due_tomorrow_remind_member_and_staff_once(world, outbox):
    service = make_service(world, name="头皮护理")
    access = world.access()
    template = plan_template_create(access=access, name="头皮疗程", product_id=service.pk, sessions=3,
                                    interval_days=14)
    stylist = world.staff("cashier")
    Staff.objects.filter(pk=stylist.pk).update(phone="13700001111")
    member = make_member(world)
    today = future_day(world)
    plan_assign(access=access, member_id=member.pk, template_id=template.pk, staff_id=stylist.pk,
                store_id=world.stores[0].pk, start_date=today + timedelta(days=1))
    assert plan_reminders(merchant=world.merchant, today=today) == 2
    assert plan_reminders(merchant=world.merchant, today=today) == 0
    assert sorted(m.phone for m in outbox) == sorted([member.phone, "13700001111"])
    assert all("头皮疗程" in m.text for m in outbox)
    assert plan_reminders(merchant=world.merchant, today=today + timedelta(days=1)) == 0


def test_the_scheduler_enqueues_the_reminder_jobs(world):
    # the daily job once per local day, from 18:00
    evening = at(future_day(world), "18:30")
    mine = [job for job, merchant_id, _day in enqueue_due(now=evening) if merchant_id == world.merchant.pk]
    assert "booking_reminders" in mine
    assert "booking_reminders" not in [j for j, m, _d in enqueue_due(now=evening) if m == world.merchant.pk]
    # the periodic job once per five-minute interval
    now = timezone.now().replace(minute=0, second=10)
    assert enqueue_periodic(now=now) == ["booking_reminders_soon"]
    assert enqueue_periodic(now=now + timedelta(minutes=2)) == []
    assert enqueue_periodic(now=now + timedelta(minutes=5)) == ["booking_reminders_soon"]


def test_the_tasks_run_the_reminders(world, outbox):
    service = make_service(world)
    make_resource(world, [service])
    today = future_day(world, days=3)
    make_booking(world, service, make_member(world), at(today + timedelta(days=1), "10:00"))
    assert booking_reminders_daily.call(world.merchant.pk, today.isoformat()) == 1
    assert booking_reminders_soon.call(at(today + timedelta(days=1), "08:30").isoformat()) == 1
    assert len(outbox) == 2
