"""Classes (团课): a timetable of sessions with a number of places, bookings, a waitlist, attendance.

A class's row is locked while its places are counted and taken, so concurrent bookings of the last
places never give more than ``capacity`` confirmed members.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.messaging import send_text
from mendian.tenancy.access import Access
from mendian.tenancy.services.audit import audit_record

from ..lock_objects import lock_resources
from ..models import BookingResource, ClassBooking, ClassSession
from .bookings import CHECK_IN_EARLY, MAX_AHEAD, consume_card, slot_unavailable
from .common import aware, bookable_product, member_of, policy, resource_of, store_of

TAKES_PLACE = (ClassBooking.Status.CONFIRMED, ClassBooking.Status.ATTENDED, ClassBooking.Status.NO_SHOW)
MAX_REPEAT_WEEKS = 26


def _check_class_time(store, start: datetime, end: datetime) -> None:
    from ..availability import store_opening

    if start <= timezone.now():
        raise slot_unavailable("in_the_past", _("This time has already passed."))
    if start > timezone.now() + MAX_AHEAD:
        raise slot_unavailable("too_far_ahead", _("Bookings open at most %(days)s days ahead.")
                               % {"days": MAX_AHEAD.days})
    opening = store_opening(store, start.astimezone(ZoneInfo(store.timezone)).date())
    if opening is not None and not any(o_start <= start and end <= o_end for o_start, o_end in opening):
        raise slot_unavailable("outside_opening_hours", _("The class must take place within the store's opening "
                                                          "hours."))


def _resource_free(resource_id: int, start: datetime, end: datetime) -> bool:
    holds = BookingResource.objects.filter(resource_id=resource_id, is_active=True, start_at__lt=end,
                                           block_end_at__gt=start).count()
    classes = ClassSession.objects.filter(resource_id=resource_id, status=ClassSession.Status.SCHEDULED,
                                          start_at__lt=end, end_at__gt=start).count()
    return holds + classes == 0


def class_create(*, access: Access, store_id: int, name: str, start: datetime, duration_min: int, capacity: int,
                 product_id: int | None = None, resource_id: int | None = None,
                 repeat_weeks: int = 1) -> list[ClassSession]:
    """One class, or the same class every week for ``repeat_weeks`` weeks (a timetable)."""
    access.require("bookings.manage")
    store = store_of(access, store_id)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput("invalid_name", _("Enter a name of 1 to 60 characters."), field="name")
    if not 5 <= duration_min <= 600:
        raise InvalidInput("invalid_duration", _("A class lasts from 5 to 600 minutes."), field="duration_min")
    if not 1 <= capacity <= 500:
        raise InvalidInput("invalid_capacity", _("A class has 1 to 500 places."), field="capacity")
    if not 1 <= repeat_weeks <= MAX_REPEAT_WEEKS:
        raise InvalidInput("invalid_repeat", _("Repeat for 1 to %(max)s weeks.") % {"max": MAX_REPEAT_WEEKS},
                           field="repeat_weeks")
    product = bookable_product(access.merchant, product_id) if product_id is not None else None
    resource = resource_of(access, resource_id) if resource_id is not None else None
    if resource is not None and resource.store_id != store.pk:
        raise InvalidInput("resource_not_in_store", _("%(name)s does not work in this store.")
                           % {"name": resource.name}, field="resource_id")
    local = aware(start, store).astimezone(ZoneInfo(store.timezone))
    _check_class_time(store, local, local)  # in the past or too far ahead, before any date arithmetic
    # Weekly repeats keep the local wall-clock time (a class at 19:00 stays at 19:00 across a DST change).
    starts = [(local.replace(tzinfo=None) + timedelta(weeks=w)).replace(tzinfo=ZoneInfo(store.timezone))
              for w in range(repeat_weeks)]
    with transaction.atomic():
        if resource is not None:
            lock_resources([resource.pk])
        sessions = []
        for when in starts:
            end = when + timedelta(minutes=duration_min)
            _check_class_time(store, when, end)
            if resource is not None and not _resource_free(resource.pk, when, end):
                raise Conflict("slot_taken", _("%(name)s is already booked at %(when)s.")
                               % {"name": resource.name, "when": when.strftime("%Y-%m-%d %H:%M")}, field="start")
            sessions.append(ClassSession.objects.create(
                merchant=access.merchant, store=store, name=name, product=product, resource=resource,
                start_at=when, end_at=end, capacity=capacity))
        audit_record(merchant=access.merchant, actor=access, store=store, action="class.created",
                     target=sessions[0], changes={"sessions": len(sessions), "capacity": capacity})
    return sessions


def _session_locked(access: Access, class_id: int) -> ClassSession:
    rows = ClassSession.objects.filter(merchant=access.merchant, pk=class_id)
    if access.store_ids is not None:
        rows = rows.filter(store_id__in=access.store_ids)
    session = rows.select_for_update(of=("self",)).select_related("store").first()
    if session is None:
        raise NotFound("class_not_found", _("Class not found."))
    return session


def places_taken(session: ClassSession) -> int:
    return session.bookings.filter(status__in=TAKES_PLACE).count()


def class_book(*, access: Access, class_id: int, member_id: int, waitlist: bool = False) -> ClassBooking:
    """A place for the member; on the waitlist when the class is full and ``waitlist`` is asked (else 409)."""
    access.require("bookings.book")
    member = member_of(access, member_id)
    with transaction.atomic():
        session = _session_locked(access, class_id)
        if session.status != ClassSession.Status.SCHEDULED or session.start_at <= timezone.now():
            raise Conflict("class_closed", _("This class has started, ended or been cancelled."))
        if session.bookings.filter(member=member).filter(
                ~Q(status=ClassBooking.Status.CANCELLED)).exists():
            raise Conflict("already_booked", _("%(name)s already has a place or is on the waitlist.")
                           % {"name": member.name or member.phone[-4:]})
        if places_taken(session) < session.capacity:
            status = ClassBooking.Status.CONFIRMED
        elif waitlist:
            status = ClassBooking.Status.WAITLISTED
        else:
            raise Conflict("class_full", _("This class is full (%(capacity)s places).")
                           % {"capacity": session.capacity}, detail={"capacity": session.capacity})
        booking = ClassBooking.objects.create(merchant=access.merchant, session=session, member=member, status=status,
                                              created_by=access.staff)
        audit_record(merchant=access.merchant, actor=access, store=session.store_id, action="class.booked",
                     target=session, changes={"member_id": member.pk, "status": status})
    return booking


def _class_booking_locked(access: Access, class_booking_id: int) -> tuple[ClassSession, ClassBooking]:
    found = ClassBooking.objects.filter(merchant=access.merchant, pk=class_booking_id).values_list(
        "session_id", flat=True).first()
    if found is None:
        raise NotFound("class_booking_not_found", _("Class booking not found."))
    session = _session_locked(access, found)  # the class first, as class_book locks it
    booking = ClassBooking.objects.select_for_update().select_related("member").get(pk=class_booking_id)
    return session, booking


def class_booking_cancel(*, access: Access, class_booking_id: int, override_cutoff: bool = False) -> ClassBooking:
    """Give up a place (or leave the waitlist); a freed place goes to the first on the waitlist."""
    access.require("bookings.book")
    with transaction.atomic():
        session, booking = _class_booking_locked(access, class_booking_id)
        if booking.status not in (ClassBooking.Status.CONFIRMED, ClassBooking.Status.WAITLISTED):
            raise Conflict("booking_not_confirmed", _("This place is %(status)s and cannot be cancelled.")
                           % {"status": booking.get_status_display()})
        cutoff = policy(access.merchant.pk).cancel_cutoff_min
        late = timezone.now() > session.start_at - timedelta(minutes=cutoff)
        if booking.status == ClassBooking.Status.CONFIRMED and late and not (
                override_cutoff and access.can("bookings.manage")):
            raise Conflict("cutoff_passed", _("Bookings can be changed or cancelled up to %(minutes)s minutes before "
                                              "they start.") % {"minutes": cutoff},
                           detail={"cancel_cutoff_min": cutoff})
        freed = booking.status == ClassBooking.Status.CONFIRMED
        booking.status, booking.cancelled_at = ClassBooking.Status.CANCELLED, timezone.now()
        booking.save(update_fields=["status", "cancelled_at", "updated_at"])
        promoted = _promote(session) if freed and session.start_at > timezone.now() else None
        audit_record(merchant=access.merchant, actor=access, store=session.store_id, action="class.cancelled",
                     target=session, changes={"member_id": booking.member_id,
                                              "promoted_member_id": promoted.member_id if promoted else None})
    return booking


def _promote(session: ClassSession) -> ClassBooking | None:
    """Confirm the first on the waitlist (the class row is locked by the caller) and text them after commit."""
    if places_taken(session) >= session.capacity:
        return None
    first = (session.bookings.select_for_update().filter(status=ClassBooking.Status.WAITLISTED)
             .select_related("member").order_by("created_at", "pk").first())
    if first is None:
        return None
    first.status, first.promoted_at = ClassBooking.Status.CONFIRMED, timezone.now()
    first.save(update_fields=["status", "promoted_at", "updated_at"])
    local = session.start_at.astimezone(ZoneInfo(session.store.timezone))
    text = gettext("%(store)s: a place in %(name)s at %(when)s is now yours.") % {
        "store": session.store.name, "name": session.name, "when": local.strftime("%m-%d %H:%M")}
    transaction.on_commit(partial(send_text, phone=first.member.phone, text=text))
    return first


def class_check_in(*, access: Access, class_booking_id: int, member_card_id: int | None = None) -> ClassBooking:
    """Attendance: the member came (consumes a card use of the class's service when a card is given)."""
    access.require("bookings.book")
    with transaction.atomic():
        session, booking = _class_booking_locked(access, class_booking_id)
        if booking.status != ClassBooking.Status.CONFIRMED:
            raise Conflict("booking_not_confirmed", _("Only a confirmed place can be checked in."))
        now = timezone.now()
        if now < session.start_at - CHECK_IN_EARLY:
            raise Conflict("too_early_to_check_in", _("Check-in opens two hours before the booking."))
        if member_card_id is not None:
            if session.product_id is None:
                raise InvalidInput("class_without_service", _("This class has no service to take from a card."),
                                   field="member_card_id")
            booking.card_use_id = consume_card(access=access, member_card_id=member_card_id,
                                               member_id=booking.member_id, product_id=session.product_id,
                                               store_id=session.store_id, ref_type="class_booking",
                                               ref_id=booking.pk)
        booking.status, booking.checked_in_at = ClassBooking.Status.ATTENDED, now
        booking.save(update_fields=["status", "checked_in_at", "card_use_id", "updated_at"])
        audit_record(merchant=access.merchant, actor=access, store=session.store_id, action="class.attended",
                     target=session, changes={"member_id": booking.member_id, "card_use_id": booking.card_use_id})
    return booking


def class_no_show(*, access: Access, class_booking_id: int) -> ClassBooking:
    access.require("bookings.book")
    with transaction.atomic():
        session, booking = _class_booking_locked(access, class_booking_id)
        if booking.status != ClassBooking.Status.CONFIRMED:
            raise Conflict("booking_not_confirmed", _("Only a confirmed place can be marked as a no-show."))
        if timezone.now() < session.start_at:
            raise Conflict("booking_not_started", _("A booking can be marked as a no-show once it has started."))
        booking.status = ClassBooking.Status.NO_SHOW
        booking.save(update_fields=["status", "updated_at"])
        audit_record(merchant=access.merchant, actor=access, store=session.store_id, action="class.no_show",
                     target=session, changes={"member_id": booking.member_id})
    return booking
