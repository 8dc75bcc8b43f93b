"""Reminders by text message, each exactly once.

Each reminder claims its unique ``Reminder`` row and is sent inside the same transaction: a second run
(or a second scheduler) fails on the unique key and sends nothing; a failed send rolls its claim back,
so the next run tries again.

- The day before (the daily job at 18:00 local time): bookings and class places of the next local day.
- Two hours before (a periodic job every few minutes): bookings and class places starting within two
  hours, made before that window opened.
- Service plans (the daily job): to the member and to their staff member, for sessions due tomorrow
  that are not booked yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from mendian.core.messaging import send_text
from mendian.core.time import day_bounds
from mendian.tenancy.models import Merchant

from ..models import Booking, ClassBooking, PlanSession, Reminder

TWO_HOURS = timedelta(hours=2)


def _send_once(*, merchant_id: int, kind: str, ref_type: str, ref_id: int, recipient: str, phone: str | None,
               text: Callable[[], str]) -> bool:
    """Claim and send in one transaction; False if it was already sent (or there is no phone to send to)."""
    if not phone:
        return False
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(merchant_id=merchant_id, kind=kind, ref_type=ref_type, ref_id=ref_id,
                                               recipient=recipient, sent_at=timezone.now())
            reminder.delivery_id = send_text(phone=phone, text=text())[:100]
            reminder.save(update_fields=["delivery_id"])
    except IntegrityError:
        return False
    return True


def _when(moment: datetime, tz_name: str) -> str:
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%m-%d %H:%M")


def _booking_text(booking: Booking) -> str:
    return gettext("%(store)s reminds you: %(service)s at %(when)s.") % {
        "store": booking.store.name, "service": booking.product.name,
        "when": _when(booking.start_at, booking.store.timezone)}


def _class_text(place: ClassBooking) -> str:
    session = place.session
    return gettext("%(store)s reminds you: %(service)s at %(when)s.") % {
        "store": session.store.name, "service": session.name, "when": _when(session.start_at, session.store.timezone)}


def _remind_window(*, merchant_id: int, start: datetime, end: datetime, kind: str) -> int:
    bookings = Booking.objects.filter(status=Booking.Status.CONFIRMED, start_at__gte=start, start_at__lt=end)
    places = ClassBooking.objects.filter(status=ClassBooking.Status.CONFIRMED, session__start_at__gte=start,
                                         session__start_at__lt=end, session__status="scheduled")
    bookings, places = bookings.filter(merchant_id=merchant_id), places.filter(merchant_id=merchant_id)
    sent = 0
    for booking in bookings.select_related("store", "product", "member").order_by("pk"):
        sent += _send_once(merchant_id=booking.merchant_id, kind=kind, ref_type="booking", ref_id=booking.pk,
                           recipient="member", phone=booking.member.phone, text=lambda b=booking: _booking_text(b))
    for place in places.select_related("session__store", "member").order_by("pk"):
        sent += _send_once(merchant_id=place.merchant_id, kind=kind, ref_type="class_booking", ref_id=place.pk,
                           recipient="member", phone=place.member.phone, text=lambda p=place: _class_text(p))
    return sent


def reminders_day_before(*, merchant: Merchant, today: date) -> int:
    """Remind of every booking on the merchant's next local day."""
    with translation.override("zh-hans"):
        start, end = day_bounds(today + timedelta(days=1), merchant.timezone)
        return _remind_window(merchant_id=merchant.pk, start=start, end=end, kind="day_before")


def reminders_two_hours(*, now: datetime) -> int:
    """Remind of bookings starting within two hours (every merchant), unless made within that window."""
    with translation.override("zh-hans"):
        return _two_hours(now)


def _two_hours(now: datetime) -> int:
    # A booking made less than two hours before it starts needs no reminder: it was just made.
    sent = 0
    window_end = now + TWO_HOURS
    bookings = Booking.objects.filter(status=Booking.Status.CONFIRMED, start_at__gt=now, start_at__lte=window_end)
    for booking in bookings.select_related("store", "product", "member").order_by("pk"):
        if booking.created_at >= booking.start_at - TWO_HOURS:
            continue
        sent += _send_once(merchant_id=booking.merchant_id, kind="two_hours", ref_type="booking", ref_id=booking.pk,
                           recipient="member", phone=booking.member.phone, text=lambda b=booking: _booking_text(b))
    places = ClassBooking.objects.filter(status=ClassBooking.Status.CONFIRMED, session__status="scheduled",
                                         session__start_at__gt=now, session__start_at__lte=window_end)
    for place in places.select_related("session__store", "member").order_by("pk"):
        placed_at = place.promoted_at or place.created_at
        if placed_at >= place.session.start_at - TWO_HOURS:
            continue
        sent += _send_once(merchant_id=place.merchant_id, kind="two_hours", ref_type="class_booking", ref_id=place.pk,
                           recipient="member", phone=place.member.phone, text=lambda p=place: _class_text(p))
    return sent


def plan_reminders(*, merchant: Merchant, today: date) -> int:
    """Sessions due tomorrow and not booked: a text to the member and one to their staff member."""
    sent = 0
    tomorrow = today + timedelta(days=1)
    sessions = (PlanSession.objects.filter(plan__merchant=merchant, plan__status="active", due_date=tomorrow,
                                           done_at__isnull=True, booking__isnull=True)
                .select_related("plan__member", "plan__staff", "plan__template", "plan__store").order_by("pk"))
    with translation.override("zh-hans"):
        for session in sessions:
            plan = session.plan
            words = {"store": plan.store.name, "plan": plan.template.name, "n": session.number,
                     "total": plan.template.sessions, "day": tomorrow.strftime("%m-%d"),
                     "member": plan.member.name or plan.member.phone[-4:]}
            sent += _send_once(merchant_id=merchant.pk, kind="plan_due", ref_type="plan_session", ref_id=session.pk,
                               recipient="member", phone=plan.member.phone, text=lambda w=words: gettext(
                                   "%(store)s: session %(n)s of %(total)s of %(plan)s is due on %(day)s. "
                                   "Reply or call us to book.") % w)
            sent += _send_once(merchant_id=merchant.pk, kind="plan_due", ref_type="plan_session", ref_id=session.pk,
                               recipient="staff", phone=plan.staff.phone, text=lambda w=words: gettext(
                                   "%(member)s: session %(n)s of %(total)s of %(plan)s is due on %(day)s and not "
                                   "booked yet.") % w)
    return sent
