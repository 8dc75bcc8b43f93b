"""Booking a service: create, reschedule, cancel, no-show and check-in.

Overlaps are refused under concurrency by locking every resource the booking may take, in primary-key
order, before reading what holds them (``select_for_update``; SQLite's IMMEDIATE transactions queue the
writers instead). Two requests for one stylist therefore decide one after the other, and the second
sees the first's booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record

from ..availability import capable_resources, day_plan, required_kinds, store_opening
from ..engine import choose, why_not
from ..lock_objects import lock_resources
from ..models import Booking, BookingResource, PlanSession, Resource, ServicePlan
from .common import aware, bookable_product, member_of, policy, resource_of, store_of

MAX_AHEAD = timedelta(days=366)


def slot_unavailable(reason: str, message: Any) -> InvalidInput:
    return InvalidInput("slot_unavailable", message, field="start", detail={"reason": reason})


def check_time(store: Store, product: Product, start: datetime, now: datetime) -> None:
    """Refuse a start in the past, outside the store's opening hours, or one whose service runs past closing."""
    if start <= now:
        raise slot_unavailable("in_the_past", _("This time has already passed."))
    if start > now + MAX_AHEAD:
        raise slot_unavailable("too_far_ahead", _("Bookings open at most %(days)s days ahead.")
                               % {"days": MAX_AHEAD.days})
    if store.status != Store.Status.ACTIVE:
        raise slot_unavailable("store_not_open", _("This store is not open for bookings."))
    local_day = start.astimezone(ZoneInfo(store.timezone)).date()
    opening = store_opening(store, local_day)
    if opening is None:
        return
    end = start + timedelta(minutes=product.duration_min or 0)
    if not any(o_start <= start < o_end for o_start, o_end in opening):
        raise slot_unavailable("outside_opening_hours", _("The store is not open at this time."))
    if not any(o_start <= start and end <= o_end for o_start, o_end in opening):
        raise slot_unavailable("does_not_fit", _("%(name)s takes %(minutes)s minutes and would end after the store "
                                                 "closes.") % {"name": product.name, "minutes": product.duration_min})


def _pinned(access: Access, store: Store, product: Product, resource_id: int | None,
            kinds: list[str]) -> Resource | None:
    """The resource asked for (within the caller's stores), checked against the store and the service."""
    if resource_id is None:
        return None
    return check_pinned(resource_of(access, resource_id), store, product, kinds)


def check_pinned(resource: Resource, store: Store, product: Product, kinds: list[str]) -> Resource:
    if resource.store_id != store.pk:
        raise InvalidInput("resource_not_in_store", _("%(name)s does not work in this store.")
                           % {"name": resource.name}, field="resource_id")
    if not resource.is_active:
        raise InvalidInput("resource_inactive", _("%(name)s takes no bookings.") % {"name": resource.name},
                           field="resource_id")
    if (kinds and resource.kind not in kinds) or not resource.products.filter(pk=product.pk).exists():
        raise InvalidInput("resource_cannot_do_service", _("%(resource)s cannot do %(service)s.")
                           % {"resource": resource.name, "service": product.name}, field="resource_id")
    return resource


def _candidates(store: Store, product: Product, kinds: list[str], prefer: list[int]) -> list[Resource]:
    resources = capable_resources(store=store, product_id=product.pk)
    missing = [kind for kind in kinds if not any(r.kind == kind for r in resources)]
    if not resources or missing:
        raise InvalidInput("no_resource", _("No one in this store can do %(service)s yet.") % {"service": product.name},
                           field="product_id")
    # The booking's current resources first: a reschedule keeps them when they are free.
    return sorted(resources, key=lambda r: (r.pk not in prefer, r.pk))


def _take(store: Store, product: Product, start: datetime, resources: list[Resource], kinds: list[str],
          pinned: Resource | None, exclude_booking_id: int | None = None) -> tuple[int, ...]:
    """Lock and choose the resources for ``start``; 409 ``slot_taken`` or 422 ``slot_unavailable``."""
    day = start.astimezone(ZoneInfo(store.timezone)).date()
    lock_resources({r.pk for r in resources} | ({pinned.pk} if pinned else set()))
    plan = day_plan(store=store, product=product, day=day, resources=resources, kinds=kinds, pinned=pinned,
                    exclude_booking_id=exclude_booking_id)
    chosen = choose(plan.groups, start, plan.duration, plan.buffer)
    if chosen is not None:
        return chosen
    if why_not(plan.groups, start, plan.duration) == "outside_schedule":
        who = pinned.name if pinned else product.name
        raise slot_unavailable("outside_schedule", _("%(who)s is not available at this time (schedule or day off).")
                               % {"who": who})
    raise Conflict("slot_taken", _("This time is already booked. Choose another time."), field="start",
                   detail={"reason": "taken"})


def _hold(booking: Booking, resource_ids: tuple[int, ...]) -> None:
    BookingResource.objects.bulk_create([
        BookingResource(booking=booking, resource_id=rid, start_at=booking.start_at, block_end_at=booking.block_end_at)
        for rid in resource_ids])


def _plan_session(member: Member, product: Product, plan_id: int | None) -> PlanSession | None:
    """The plan's next session without a booking (the plan must be the member's, for this service)."""
    if plan_id is None:
        return None
    # The plan's row lock makes choosing its next open session and taking it one step.
    plan = ServicePlan.objects.filter(merchant_id=member.merchant_id, pk=plan_id, member=member).select_related(
        "template").select_for_update(of=("self",)).first()
    if plan is None:
        raise NotFound("plan_not_found", _("Service plan not found."), field="plan_id")
    if plan.template.product_id != product.pk or plan.status != ServicePlan.Status.ACTIVE:
        raise InvalidInput("plan_mismatch", _("This plan is not in progress for this service."), field="plan_id")
    session = (PlanSession.objects.filter(plan=plan, done_at__isnull=True, booking__isnull=True)
               .order_by("number").first())
    if session is None:
        raise Conflict("plan_fully_booked", _("Every session of this plan is booked or done."), field="plan_id")
    return session


@dataclass(frozen=True)
class BookingRequest:
    """A checked request: everything belongs to one merchant, the member and resource were found for the caller."""

    store: Store
    product: Product
    member: Member
    start: datetime
    pinned: Resource | None
    kinds: list[str]
    source: str
    plan_id: int | None = None
    note: str = ""


def _book(request: BookingRequest, *, actor: Access | None) -> Booking:
    """Take the resources and write the booking, in one transaction (the caller's checks are done)."""
    store, product, member, start = request.store, request.product, request.member, request.start
    check_time(store, product, start, timezone.now())
    resources = _candidates(store, product, request.kinds, [])
    with transaction.atomic():
        chosen = _take(store, product, start, resources, request.kinds, request.pinned)
        end = start + timedelta(minutes=product.duration_min or 0)
        booking = Booking.objects.create(
            merchant_id=store.merchant_id, store=store, product=product, member=member, start_at=start, end_at=end,
            block_end_at=end + timedelta(minutes=product.buffer_min or 0), source=request.source,
            created_by=actor.staff if actor else None, note=(request.note or "")[:200],
            plan_session=_plan_session(member, product, request.plan_id))
        _hold(booking, chosen)
        audit_record(merchant=store.merchant, actor=actor, store=store, action="booking.created", target=booking,
                     target_label=f"{member.name} · {product.name}",
                     changes={"start": start.isoformat(), "resource_ids": list(chosen), "source": request.source})
    return booking


def booking_create(*, access: Access, store_id: int, product_id: int, member_id: int, start: datetime,
                   resource_id: int | None = None, source: str = Booking.Source.COUNTER, plan_id: int | None = None,
                   note: str = "") -> Booking:
    """Book a service for a member (staff at the counter or an integration); the resources are taken at once
    or not at all."""
    access.require("bookings.book")
    store = store_of(access, store_id)
    product = bookable_product(access.merchant, product_id)
    member = member_of(access, member_id)
    kinds = required_kinds(merchant_id=access.merchant.pk, product_id=product.pk)
    return _book(BookingRequest(store=store, product=product, member=member, start=aware(start, store),
                                pinned=_pinned(access, store, product, resource_id, kinds), kinds=kinds,
                                source=source, plan_id=plan_id, note=note), actor=access)


def booking_create_by_member(*, member: Member, store_id: int, product_id: int, start: datetime,
                             resource_id: int | None = None, plan_id: int | None = None) -> Booking:
    """A member books for themselves (the member portal calls this with the logged-in member): any open store
    of their merchant, the same rules and locks as at the counter."""
    store = Store.objects.filter(merchant_id=member.merchant_id, pk=store_id, status=Store.Status.ACTIVE).first()
    if store is None:
        raise NotFound("store_not_found", _("Store not found."), field="store_id")
    product = bookable_product(store.merchant, product_id)
    kinds = required_kinds(merchant_id=member.merchant_id, product_id=product.pk)
    pinned = None
    if resource_id is not None:
        resource = Resource.objects.filter(merchant_id=member.merchant_id, pk=resource_id).first()
        if resource is None:
            raise NotFound("resource_not_found", _("Resource not found."), field="resource_id")
        pinned = check_pinned(resource, store, product, kinds)
    return _book(BookingRequest(store=store, product=product, member=member, start=aware(start, store),
                                pinned=pinned, kinds=kinds, source=Booking.Source.MEMBER, plan_id=plan_id),
                 actor=None)


def booking_get_locked(access: Access, booking_id: int) -> Booking:
    rows = Booking.objects.filter(merchant=access.merchant, pk=booking_id)
    if access.store_ids is not None:
        rows = rows.filter(store_id__in=access.store_ids)
    booking = rows.select_for_update(of=("self",)).select_related("store", "product", "member").first()
    if booking is None:
        raise NotFound("booking_not_found", _("Booking not found."))
    return booking


def _require_confirmed(booking: Booking) -> None:
    if booking.status != Booking.Status.CONFIRMED:
        raise Conflict("booking_not_confirmed", _("This booking is %(status)s; only a confirmed booking can be "
                                                  "changed.") % {"status": booking.get_status_display()},
                       detail={"status": booking.status})


def _require_before_cutoff(access: Access | None, booking: Booking, override: bool) -> None:
    """Members and the counter change a booking only up to the cut-off; a manager may override it."""
    cutoff = policy(booking.merchant_id).cancel_cutoff_min
    if timezone.now() <= booking.start_at - timedelta(minutes=cutoff):
        return
    if override and access is not None and access.can("bookings.manage"):
        return
    raise Conflict("cutoff_passed", _("Bookings can be changed or cancelled up to %(minutes)s minutes before they "
                                      "start.") % {"minutes": cutoff}, detail={"cancel_cutoff_min": cutoff})


def booking_cancel(*, access: Access, booking_id: int, reason: str = "", override_cutoff: bool = False) -> Booking:
    access.require("bookings.book")
    with transaction.atomic():
        booking = booking_get_locked(access, booking_id)
        _require_confirmed(booking)
        _require_before_cutoff(access, booking, override_cutoff)
        booking.status, booking.cancelled_at, booking.plan_session = Booking.Status.CANCELLED, timezone.now(), None
        booking.save(update_fields=["status", "cancelled_at", "plan_session", "updated_at"])
        booking.holds.update(is_active=False)
        audit_record(merchant=access.merchant, actor=access, store=booking.store_id, action="booking.cancelled",
                     target=booking, changes={"reason": (reason or "")[:200]})
    return booking


def booking_cancel_by_member(*, member: Member, booking_id: int) -> Booking:
    """A member cancels their own booking, up to the cut-off (another's booking is 404)."""
    with transaction.atomic():
        booking = (Booking.objects.filter(merchant_id=member.merchant_id, member=member, pk=booking_id)
                   .select_for_update(of=("self",)).select_related("store").first())
        if booking is None:
            raise NotFound("booking_not_found", _("Booking not found."))
        _require_confirmed(booking)
        _require_before_cutoff(None, booking, False)
        booking.status, booking.cancelled_at, booking.plan_session = Booking.Status.CANCELLED, timezone.now(), None
        booking.save(update_fields=["status", "cancelled_at", "plan_session", "updated_at"])
        booking.holds.update(is_active=False)
        audit_record(merchant=booking.store.merchant, actor=None, store=booking.store_id, action="booking.cancelled",
                     target=booking, changes={"by": "member"})
    return booking


def booking_reschedule(*, access: Access, booking_id: int, start: datetime, resource_id: int | None = None,
                       override_cutoff: bool = False) -> Booking:
    """Move a booking (and, with ``resource_id``, to another resource of the kind); refused moves change nothing."""
    access.require("bookings.book")
    with transaction.atomic():
        booking = booking_get_locked(access, booking_id)
        _require_confirmed(booking)
        _require_before_cutoff(access, booking, override_cutoff)
        store, product = booking.store, booking.product
        start = aware(start, store)
        check_time(store, product, start, timezone.now())
        kinds = required_kinds(merchant_id=access.merchant.pk, product_id=product.pk)
        pinned = _pinned(access, store, product, resource_id, kinds)
        current = list(booking.holds.values_list("resource_id", flat=True))
        resources = _candidates(store, product, kinds, current)
        chosen = _take(store, product, start, resources, kinds, pinned, exclude_booking_id=booking.pk)
        before = {"start": booking.start_at.isoformat(), "resource_ids": current}
        duration, block = booking.end_at - booking.start_at, booking.block_end_at - booking.end_at
        booking.start_at, booking.end_at, booking.block_end_at = start, start + duration, start + duration + block
        booking.save(update_fields=["start_at", "end_at", "block_end_at", "updated_at"])
        booking.holds.all().delete()
        _hold(booking, chosen)
        audit_record(merchant=access.merchant, actor=access, store=store, action="booking.rescheduled",
                     target=booking, changes={"before": before,
                                              "after": {"start": start.isoformat(), "resource_ids": list(chosen)}})
    return booking


def booking_no_show(*, access: Access, booking_id: int) -> Booking:
    """The member did not come: only once the booking has started; frees what is left of its time."""
    access.require("bookings.book")
    with transaction.atomic():
        booking = booking_get_locked(access, booking_id)
        _require_confirmed(booking)
        if timezone.now() < booking.start_at:
            raise Conflict("booking_not_started", _("A booking can be marked as a no-show once it has started."))
        booking.status = Booking.Status.NO_SHOW
        booking.save(update_fields=["status", "updated_at"])
        booking.holds.update(is_active=False)
        audit_record(merchant=access.merchant, actor=access, store=booking.store_id, action="booking.no_show",
                     target=booking)
    return booking


CHECK_IN_EARLY = timedelta(hours=2)


def consume_card(*, access: Access, member_card_id: int, member_id: int, product_id: int, store_id: int,
                 ref_type: str, ref_id: int) -> int:
    """One use of the member's card for the service, inside the check-in's transaction (a refusal of the
    card — another member's, used up, expired, not valid in this store — rolls the check-in back);
    returns the CardUse id."""
    from mendian.cards.services import card_use

    use = card_use(access=access, member_card_id=member_card_id, member_id=member_id, product_id=product_id,
                   store_id=store_id, qty=1, staff_id=access.staff.pk if access.staff else None,
                   ref_type=ref_type, ref_id=ref_id)
    return int(use.pk)


def booking_check_in(*, access: Access, booking_id: int, member_card_id: int | None = None) -> Booking:
    """The member arrived: from two hours before the start; consumes one use of ``member_card_id`` if given,
    in the same transaction; a plan session booked by it is done."""
    access.require("bookings.book")
    with transaction.atomic():
        booking = booking_get_locked(access, booking_id)
        _require_confirmed(booking)
        now = timezone.now()
        if now < booking.start_at - CHECK_IN_EARLY:
            raise Conflict("too_early_to_check_in", _("Check-in opens two hours before the booking."))
        if member_card_id is not None:
            booking.card_use_id = consume_card(access=access, member_card_id=member_card_id,
                                               member_id=booking.member_id, product_id=booking.product_id,
                                               store_id=booking.store_id, ref_type="booking", ref_id=booking.pk)
        booking.status, booking.checked_in_at = Booking.Status.CHECKED_IN, now
        booking.save(update_fields=["status", "checked_in_at", "card_use_id", "updated_at"])
        if booking.plan_session_id:
            from .plans import plan_session_done

            plan_session_done(session_id=booking.plan_session_id, when=now)
        audit_record(merchant=access.merchant, actor=access, store=booking.store_id, action="booking.checked_in",
                     target=booking, changes={"card_use_id": booking.card_use_id})
    return booking
