"""Reads of appointments, scoped to the caller's merchant and, for store-bound roles, their stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.core.time import day_bounds
from mendian.tenancy.access import Access

from .availability import capable_resources, day_plan, required_kinds
from .engine import Slot, find_slots
from .models import Booking, ClassBooking, ClassSession, PlanTemplate, Resource, ServicePlan
from .services.bookings import MAX_AHEAD, _pinned
from .services.common import bookable_product, resource_of, store_of


def slots_for(*, access: Access, store_id: int, product_id: int, day: date,
              resource_id: int | None = None, now: datetime | None = None) -> list[Slot]:
    """The free starts of a service on the store's local ``day`` (optionally with one resource)."""
    access.require("bookings.view")
    store = store_of(access, store_id)
    product = bookable_product(access.merchant, product_id)
    now = now or timezone.now()
    if not (now - MAX_AHEAD).date() <= day <= (now + MAX_AHEAD).date():
        raise InvalidInput("date_out_of_range", _("Search within %(days)s days of today.")
                           % {"days": MAX_AHEAD.days}, field="date")
    kinds = required_kinds(merchant_id=access.merchant.pk, product_id=product.pk)
    pinned = _pinned(access, store, product, resource_id, kinds)
    resources = capable_resources(store=store, product_id=product.pk)
    if not resources:
        return []
    plan = day_plan(store=store, product=product, day=day, resources=resources, kinds=kinds, pinned=pinned)
    return find_slots(groups=plan.groups, day=day, tz_name=store.timezone, duration=plan.duration,
                      buffer=plan.buffer, not_before=now)


def _scoped(access: Access, rows: QuerySet) -> QuerySet:
    return access.scope(rows)


def resource_list(*, access: Access, store_id: int | None = None, active_only: bool = False) -> QuerySet[Resource]:
    access.require("bookings.view")
    rows = _scoped(access, Resource.objects.all())
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    if active_only:
        rows = rows.filter(is_active=True)
    return rows.prefetch_related("products", "exceptions").select_related("store").order_by("store_id", "kind", "pk")


def resource_get(*, access: Access, resource_id: int) -> Resource:
    access.require("bookings.view")
    return resource_of(access, resource_id)


def booking_get(*, access: Access, booking_id: int) -> Booking:
    access.require("bookings.view")
    booking = (_scoped(access, Booking.objects.filter(pk=booking_id))
               .select_related("store", "product", "member", "plan_session")
               .prefetch_related("holds__resource").first())
    if booking is None:
        raise NotFound("booking_not_found", _("Booking not found."))
    return booking


def booking_list(*, access: Access, store_id: int | None = None, member_id: int | None = None,
                 resource_id: int | None = None, start: datetime | None = None, end: datetime | None = None,
                 status: str | None = None) -> QuerySet[Booking]:
    access.require("bookings.view")
    rows = _scoped(access, Booking.objects.all())
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    if resource_id is not None:
        rows = rows.filter(holds__resource_id=resource_id)
    if start is not None:
        rows = rows.filter(start_at__gte=start)
    if end is not None:
        rows = rows.filter(start_at__lt=end)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("store", "product", "member", "plan_session").prefetch_related("holds__resource")


def local_range(store_tz: str, date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """The aware [start, end) of local dates, both inclusive (a date at the end of the calendar is refused)."""
    try:
        start = day_bounds(date_from, store_tz)[0] if date_from else None
        end = day_bounds(date_to, store_tz)[1] if date_to else None
    except OverflowError as exc:
        raise InvalidInput("invalid_date", _("Enter a valid date (YYYY-MM-DD)."), field="date_from") from exc
    return start, end


def _with_counts(rows: QuerySet[ClassSession]) -> QuerySet[ClassSession]:
    return rows.annotate(
        booked=Count("bookings", filter=Q(bookings__status__in=["confirmed", "attended", "no_show"])),
        waitlisted=Count("bookings", filter=Q(bookings__status="waitlisted")),
    )


def class_list(*, access: Access, store_id: int | None = None, start: datetime | None = None,
               end: datetime | None = None) -> QuerySet[ClassSession]:
    access.require("bookings.view")
    rows = _scoped(access, ClassSession.objects.all())
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    if start is not None:
        rows = rows.filter(start_at__gte=start)
    if end is not None:
        rows = rows.filter(start_at__lt=end)
    return _with_counts(rows).select_related("store", "resource", "product")


def class_get(*, access: Access, class_id: int) -> ClassSession:
    access.require("bookings.view")
    session = class_list(access=access).filter(pk=class_id).first()
    if session is None:
        raise NotFound("class_not_found", _("Class not found."))
    return session


def class_places(session: ClassSession) -> list[ClassBooking]:
    return list(session.bookings.exclude(status=ClassBooking.Status.CANCELLED).select_related("member")
                .order_by("created_at", "pk"))


def waitlist_position(place: ClassBooking) -> int | None:
    if place.status != ClassBooking.Status.WAITLISTED:
        return None
    return ClassBooking.objects.filter(session_id=place.session_id, status=ClassBooking.Status.WAITLISTED).filter(
        Q(created_at__lt=place.created_at) | Q(created_at=place.created_at, pk__lt=place.pk)).count() + 1


def class_booking_get(*, access: Access, class_booking_id: int) -> ClassBooking:
    access.require("bookings.view")
    rows = ClassBooking.objects.filter(merchant=access.merchant, pk=class_booking_id)
    if access.store_ids is not None:
        rows = rows.filter(session__store_id__in=access.store_ids)
    place = rows.select_related("session", "member").first()
    if place is None:
        raise NotFound("class_booking_not_found", _("Class booking not found."))
    return place


def member_class_places(*, access: Access, member_id: int) -> QuerySet[ClassBooking]:
    access.require("bookings.view")
    rows = ClassBooking.objects.filter(merchant=access.merchant, member_id=member_id)
    if access.store_ids is not None:
        rows = rows.filter(session__store_id__in=access.store_ids)
    return rows.select_related("session__store").order_by("-session__start_at")


def plan_templates(*, access: Access) -> QuerySet[PlanTemplate]:
    access.require("bookings.view")
    return PlanTemplate.objects.filter(merchant=access.merchant).select_related("product").order_by("name")


def plan_list(*, access: Access, member_id: int | None = None, status: str | None = None) -> QuerySet[ServicePlan]:
    access.require("bookings.view")
    rows = _scoped(access, ServicePlan.objects.all())
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    if status:
        rows = rows.filter(status=status)
    from .models import PlanSession

    return rows.select_related("template__product", "member", "staff", "store").prefetch_related(
        Prefetch("sessions", queryset=PlanSession.objects.select_related("booking").order_by("number")))


def plan_get(*, access: Access, plan_id: int) -> ServicePlan:
    plan = plan_list(access=access).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("plan_not_found", _("Service plan not found."))
    return plan


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    next_due: date | None

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.total) if self.total else 0


def plan_progress(plan: ServicePlan) -> Progress:
    sessions = list(plan.sessions.all())
    open_sessions = [s for s in sessions if s.done_at is None]
    return Progress(done=len(sessions) - len(open_sessions), total=len(sessions),
                    next_due=open_sessions[0].due_date if open_sessions else None)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def card_choices(*, access: Access, member_id: int, store_id: int, product_id: int | None) -> list[tuple[int, str]]:
    """The member's cards usable now in the store for the service, with what is left, for a check-in."""
    from mendian.cards.selectors import usable_cards

    if product_id is None:
        return []
    choices = []
    for card in usable_cards(access=access, member_id=member_id, store_id=store_id, now=timezone.now()):
        balance = next((b for b in card.balances.all() if b.product_id == product_id), None)
        if balance is None or (balance.uses_left is not None and balance.uses_left <= 0):
            continue
        left = _("unlimited") if balance.uses_left is None else _("%(n)s left") % {"n": balance.uses_left}
        choices.append((card.pk, f"{card.name} · {left}"))
    return choices
