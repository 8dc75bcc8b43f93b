"""The demo chain gets resources with schedules, a yoga timetable, bookings and plans."""

from io import StringIO

import pytest
from django.core.management import call_command

from mendian.bookings.models import Booking, BookingResource, ClassBooking, ClassSession, Resource, ServicePlan

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_appointments():
    call_command("seed_demo", "--members", "200", stdout=StringIO())
    assert Resource.objects.filter(kind="staff").count() == 6
    assert Resource.objects.get(name="瑜伽室").weekly[0] == {"weekday": 0, "start": "09:30", "end": "21:30"}
    assert ClassSession.objects.filter(name="流瑜伽").count() == 8
    first_class = ClassSession.objects.filter(name="流瑜伽").order_by("start_at", "pk").first()
    assert ClassBooking.objects.filter(session=first_class, status="confirmed").count() == 10
    assert ClassBooking.objects.filter(session=first_class, status="waitlisted").count() == 2
    assert Booking.objects.count() > 0
    # every booking holds its resources without any overlap
    for hold in BookingResource.objects.filter(is_active=True):
        assert not BookingResource.objects.filter(resource=hold.resource, is_active=True,
                                                  start_at__lt=hold.block_end_at,
                                                  block_end_at__gt=hold.start_at).exclude(pk=hold.pk).exists()
    assert ServicePlan.objects.count() == 3
