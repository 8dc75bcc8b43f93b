"""Class pages: the week's timetable per store, a class with its attendance and waitlist, new classes."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mendian.core.errors import DomainError
from mendian.tenancy.views.decorators import staff_page

from . import selectors
from .models import ClassBooking
from .services import classes as class_services
from .views import bookable_services, parse_day, parse_local, pick_store
from .views_setup import _int


@staff_page("bookings.view")
@require_GET
def timetable(request: HttpRequest) -> HttpResponse:
    access = request.access
    store, stores = pick_store(request)
    context = {"store": store, "stores": stores}
    if store is not None:
        tz = ZoneInfo(store.timezone)
        monday = selectors.week_start(parse_day(request.GET.get("date"), store))
        days = [monday + timedelta(days=i) for i in range(7)]
        start = datetime.combine(monday, time.min, tzinfo=tz)
        sessions = list(selectors.class_list(access=access, store_id=store.pk, start=start,
                                             end=start + timedelta(days=7)).order_by("start_at"))
        columns = [(day, [s for s in sessions if s.start_at.astimezone(tz).date() == day]) for day in days]
        base = {"store": store.pk}
        context |= {
            "columns": columns, "tz": tz, "monday": monday,
            "prev_url": "?" + urlencode(base | {"date": (monday - timedelta(days=7)).isoformat()}),
            "next_url": "?" + urlencode(base | {"date": (monday + timedelta(days=7)).isoformat()}),
            "services": bookable_services(access, store), "can_manage": access.can("bookings.manage"),
            "resources": selectors.resource_list(access=access, store_id=store.pk, active_only=True)}
    return render(request, "bookings/timetable.html", context)


@staff_page("bookings.manage")
@require_POST
def class_new(request: HttpRequest) -> HttpResponse:
    post = request.POST
    store, _stores = pick_store(request)
    to = reverse("bookings:classes") + (f"?store={store.pk}" if store else "")
    try:
        if store is None:
            raise DomainError("store_required", _("Choose a store."))
        sessions = class_services.class_create(
            access=request.access, store_id=store.pk, name=post.get("name", ""),
            start=parse_local(post.get("start", ""), store), duration_min=_int(post.get("duration_min"), 0),
            capacity=_int(post.get("capacity"), 0), product_id=_int(post.get("product_id")),
            resource_id=_int(post.get("resource_id")), repeat_weeks=_int(post.get("repeat_weeks"), 1))
    except DomainError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, str(error.message))
        return redirect(to)
    messages.success(request, _("%(count)s classes scheduled.") % {"count": len(sessions)})
    local = sessions[0].start_at.astimezone(ZoneInfo(store.timezone)).date()
    return redirect(to + f"&date={local.isoformat()}")


@staff_page("bookings.view")
@require_GET
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    access = request.access
    session = selectors.class_get(access=access, class_id=class_id)
    places = selectors.class_places(session)
    if access.can("bookings.book"):
        for place in places:  # the cards each member could use for this class at check-in
            place.card_choices = selectors.card_choices(access=access, member_id=place.member_id,
                                                        store_id=session.store_id, product_id=session.product_id) \
                if place.status == ClassBooking.Status.CONFIRMED else []
    tz = ZoneInfo(session.store.timezone)
    return render(request, "bookings/class_detail.html", {
        "session": session, "local_start": session.start_at.astimezone(tz), "local_end": session.end_at.astimezone(tz),
        "places": [p for p in places if p.status != ClassBooking.Status.WAITLISTED],
        "waitlist": [p for p in places if p.status == ClassBooking.Status.WAITLISTED],
        "can_book": access.can("bookings.book"), "can_override": access.can("bookings.manage")})


@staff_page("bookings.book")
@require_POST
def class_book(request: HttpRequest, class_id: int) -> HttpResponse:
    session = selectors.class_get(access=request.access, class_id=class_id)
    to = reverse("bookings:class", args=[session.pk])
    try:
        member = request.POST.get("member_id", "")
        if not member.isdigit():
            raise DomainError("member_required", _("Choose the member first."))
        place = class_services.class_book(access=request.access, class_id=session.pk, member_id=int(member),
                                          waitlist=request.POST.get("waitlist") == "1")
    except DomainError as error:
        if error.status in (403,):
            raise
        messages.error(request, str(error.message))
        return redirect(to)
    messages.success(request, _("On the waitlist.") if place.status == ClassBooking.Status.WAITLISTED
                     else _("Place booked."))
    return redirect(to)


def _place_action(request: HttpRequest, class_booking_id: int, action: str) -> HttpResponse:
    """Attendance (check-in), no-show, or cancelling a place (which moves the waitlist up)."""
    access = request.access
    place = selectors.class_booking_get(access=access, class_booking_id=class_booking_id)
    try:
        if action == "check-in":
            card = request.POST.get("member_card_id", "")
            class_services.class_check_in(access=access, class_booking_id=place.pk,
                                          member_card_id=int(card) if card.isdigit() else None)
            messages.success(request, _("Checked in."))
        elif action == "no-show":
            class_services.class_no_show(access=access, class_booking_id=place.pk)
            messages.success(request, _("Marked as a no-show."))
        else:
            class_services.class_booking_cancel(access=access, class_booking_id=place.pk,
                                                override_cutoff=request.POST.get("override_cutoff") == "1")
            messages.success(request, _("Place cancelled; the waitlist moved up."))
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, str(error.message))
    return redirect(reverse("bookings:class", args=[place.session_id]))


@staff_page("bookings.book")
@require_POST
def place_check_in(request: HttpRequest, class_booking_id: int) -> HttpResponse:
    return _place_action(request, class_booking_id, "check-in")


@staff_page("bookings.book")
@require_POST
def place_no_show(request: HttpRequest, class_booking_id: int) -> HttpResponse:
    return _place_action(request, class_booking_id, "no-show")


@staff_page("bookings.book")
@require_POST
def place_cancel(request: HttpRequest, class_booking_id: int) -> HttpResponse:
    return _place_action(request, class_booking_id, "cancel")
