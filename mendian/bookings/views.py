"""Appointment pages: the day/week calendar with drag-to-reschedule, the booking dialog with slot search,
and a booking's actions (check-in, no-show, move, cancel)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mendian.catalog.models import Product
from mendian.core.errors import DomainError, InvalidInput
from mendian.core.idempotency import claim_form_key
from mendian.core.time import local_today
from mendian.members.models import Member
from mendian.members.selectors import MemberFilter, member_list
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.selectors import store_choices, store_get
from mendian.tenancy.views.decorators import staff_page

from . import selectors
from .calendar import build_grid
from .models import Resource
from .services import bookings as booking_services

PAGE = "bookings/calendar.html"


def pick_store(request: HttpRequest) -> tuple[Store | None, list[Store]]:
    access = request.access
    stores = list(store_choices(access=access).filter(status=Store.Status.ACTIVE))
    raw = request.GET.get("store") or request.POST.get("store") or ""
    if raw.isdigit():
        return store_get(access=access, store_id=int(raw)), stores
    return (stores[0] if stores else None), stores


def parse_day(raw: str | None, store: Store) -> date:
    """The date asked for, or the store's today (also for dates more than ten years away)."""
    today = local_today(store.timezone)
    try:
        day = date.fromisoformat(raw or "")
    except ValueError:
        return today
    return day if abs((day - today).days) <= 3660 else today


def parse_local(raw: str, store: Store) -> datetime:
    """``YYYY-MM-DDTHH:MM`` in the store's time zone (or any ISO time with an offset)."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except (ValueError, AttributeError) as exc:
        raise InvalidInput("invalid_start", _("Enter a valid date and time."), field="start") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(store.timezone))


def bookable_services(access: Access, store: Store) -> list[Product]:
    ids = Resource.objects.filter(merchant=access.merchant, store=store, is_active=True).values("products")
    return list(Product.objects.filter(merchant=access.merchant, kind=Product.Kind.SERVICE, is_active=True,
                                       duration_min__gt=0, pk__in=ids).order_by("name"))


def _calendar_context(request: HttpRequest) -> dict[str, Any]:
    access = request.access
    store, stores = pick_store(request)
    if store is None:
        return {"stores": [], "store": None}
    view = "week" if request.GET.get("view") == "week" else "day"
    raw_resource = request.GET.get("resource", "")
    day = parse_day(request.GET.get("date"), store)
    grid = build_grid(access=access, store=store, day=day, view=view,
                      resource_id=int(raw_resource) if raw_resource.isdigit() else None)
    step = 7 if view == "week" else 1
    base = {"store": store.pk, "view": view} | ({"resource": grid.resource.pk} if grid.resource else {})
    raw_member = request.GET.get("member", "")
    preset = None
    if raw_member.isdigit() and access.can("bookings.book") and access.can("members.view"):
        preset = Member.objects.filter(merchant=access.merchant, pk=int(raw_member), erased_at__isnull=True).first()
    return {"stores": stores, "store": store, "grid": grid, "view": view, "day": day, "preset": preset,
            "prev_url": "?" + urlencode(base | {"date": date.fromordinal(day.toordinal() - step).isoformat()}),
            "next_url": "?" + urlencode(base | {"date": date.fromordinal(day.toordinal() + step).isoformat()}),
            "today_url": "?" + urlencode(base),
            "query": urlencode(base | {"date": day.isoformat()}),
            "services": bookable_services(access, store) if access.can("bookings.book") else [],
            "can_book": access.can("bookings.book"), "once": uuid.uuid4().hex}


@staff_page("bookings.view")
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    context = _calendar_context(request)
    if request.htmx and request.GET.get("partial") == "grid":
        return render(request, f"{PAGE}#grid", context)
    return render(request, PAGE, context)


@staff_page("bookings.book")
@require_GET
def member_search(request: HttpRequest) -> HttpResponse:
    """Members for the booking dialog (phone, last four digits, card number, member code or name)."""
    q = request.GET.get("q", "").strip()
    members = list(member_list(access=request.access, filters=MemberFilter(q=q))[:8]) if len(q) >= 2 else []
    return render(request, "bookings/_member_options.html", {"members": members, "q": q})


@staff_page("bookings.book")
@require_GET
def slot_search(request: HttpRequest) -> HttpResponse:
    """The free times of the chosen service on the chosen day, as buttons that book."""
    access = request.access
    store, _stores = pick_store(request)
    context: dict[str, Any] = {"slots": [], "error": None}
    try:
        if store is None:
            raise InvalidInput("store_required", _("Choose a store."))
        product_raw, resource_raw = request.GET.get("product_id", ""), request.GET.get("resource_id", "")
        if not product_raw.isdigit():
            raise InvalidInput("product_required", _("Choose a service."), field="product_id")
        day = parse_day(request.GET.get("date"), store)
        slots = selectors.slots_for(access=access, store_id=store.pk, product_id=int(product_raw), day=day,
                                    resource_id=int(resource_raw) if resource_raw.isdigit() else None)
        names = dict(Resource.objects.filter(merchant=access.merchant, store=store).values_list("pk", "name"))
        tz = ZoneInfo(store.timezone)
        context["slots"] = [{"value": s.start.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                             "label": s.start.astimezone(tz).strftime("%H:%M"),
                             "resource_id": s.resource_ids[0] if len(s.resource_ids) == 1 else "",
                             "who": " + ".join(names.get(r, "") for r in s.resource_ids)} for s in slots]
        context["day"] = day
    except DomainError as error:
        context["error"] = str(error.message)
    return render(request, "bookings/_slots.html", context)


def _refresh(request: HttpRequest, text: str) -> HttpResponse:
    """After a change: htmx gets the notice and the calendar's refresh event; a plain form a redirect."""
    if request.htmx:
        # A fresh key for the next booking made from the same dialog.
        response = render(request, "bookings/_notice.html", {"level": "success", "text": text,
                                                              "once": uuid.uuid4().hex})
        response["HX-Trigger"] = json.dumps({"bookingsChanged": True, "closeModals": True})
        return response
    messages.success(request, text)
    return redirect(request.POST.get("next") or reverse("bookings:calendar"))


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    if error.status == 403:
        raise error
    if request.htmx:
        response = render(request, "bookings/_notice.html", {"level": "danger", "text": str(error.message)})
        response["HX-Retarget"] = request.headers.get("X-Notice-Target", "#booking-notice")
        response["HX-Reswap"] = "innerHTML"
        return response
    messages.error(request, str(error.message))
    return redirect(request.POST.get("next") or reverse("bookings:calendar"))


@staff_page("bookings.book")
@require_POST
def book(request: HttpRequest) -> HttpResponse:
    access = request.access
    store, _stores = pick_store(request)
    try:
        if store is None:
            raise InvalidInput("store_required", _("Choose a store."))
        fields = {name: request.POST.get(name, "") for name in ("member_id", "product_id", "resource_id", "start")}
        if not fields["member_id"].isdigit():
            raise InvalidInput("member_required", _("Choose the member first."), field="member_id")
        if not fields["product_id"].isdigit():
            raise InvalidInput("product_required", _("Choose a service."), field="product_id")
        plan = request.POST.get("plan_id", "")
        with transaction.atomic():
            # The dialog's key, claimed with the booking: a double click books once (a refusal frees it).
            if not claim_form_key(merchant_id=access.merchant.pk, key=request.POST.get("once", ""),
                                  path=request.path):
                return _refresh(request, _("This booking was already made."))
            booking = booking_services.booking_create(
                access=access, store_id=store.pk, product_id=int(fields["product_id"]),
                member_id=int(fields["member_id"]), start=parse_local(fields["start"], store),
                resource_id=int(fields["resource_id"]) if fields["resource_id"].isdigit() else None,
                plan_id=int(plan) if plan.isdigit() else None, note=request.POST.get("note", ""))
    except DomainError as error:
        return _refused(request, error)
    local = booking.start_at.astimezone(ZoneInfo(store.timezone))
    return _refresh(request, _("Booked for %(when)s.") % {"when": local.strftime("%Y-%m-%d %H:%M")})


@staff_page("bookings.view")
@require_GET
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    access = request.access
    booking = selectors.booking_get(access=access, booking_id=booking_id)
    tz = ZoneInfo(booking.store.timezone)
    resources = Resource.objects.filter(merchant=access.merchant, store=booking.store, is_active=True,
                                        products=booking.product_id).order_by("kind", "pk")
    held = Resource.objects.filter(pk__in=[h.resource_id for h in booking.holds.all()])
    context = {"booking": booking, "tz": tz, "local_start": booking.start_at.astimezone(tz),
               "local_end": booking.end_at.astimezone(tz), "held": held, "resources": resources,
               "can_book": access.can("bookings.book"), "can_override": access.can("bookings.manage"),
               "started": booking.start_at <= timezone.now(),
               "card_choices": selectors.card_choices(access=access, member_id=booking.member_id,
                                                      store_id=booking.store_id, product_id=booking.product_id)
               if booking.status == "confirmed" and access.can("bookings.book") else []}
    template = "bookings/booking_detail.html"
    return render(request, f"{template}#detail" if request.htmx else template, context)


@staff_page("bookings.book")
@require_POST
def booking_move(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Drag-to-reschedule (JSON for the calendar's script) and the move form of a booking (htmx or plain)."""
    access = request.access
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        booking = selectors.booking_get(access=access, booking_id=booking_id)
        resource = request.POST.get("resource_id", "")
        booking_services.booking_reschedule(
            access=access, booking_id=booking.pk, start=parse_local(request.POST.get("start", ""), booking.store),
            resource_id=int(resource) if resource.isdigit() else None,
            override_cutoff=request.POST.get("override_cutoff") == "1")
    except DomainError as error:
        if error.status in (403, 404) and not wants_json:
            raise
        if wants_json:
            return JsonResponse({"ok": False, "code": error.code, "message": str(error.message)}, status=error.status)
        return _refused(request, error)
    if wants_json:
        return JsonResponse({"ok": True, "message": _("Moved.")})
    return _refresh(request, _("Moved."))


def _action(request: HttpRequest, booking_id: int, run: Any, done: str) -> HttpResponse:
    try:
        run()
    except DomainError as error:
        if error.status == 404:
            raise
        return _refused(request, error)
    return _refresh(request, done)


@staff_page("bookings.book")
@require_POST
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    return _action(request, booking_id, lambda: booking_services.booking_cancel(
        access=request.access, booking_id=booking_id, reason=request.POST.get("reason", ""),
        override_cutoff=request.POST.get("override_cutoff") == "1"), _("Booking cancelled."))


@staff_page("bookings.book")
@require_POST
def booking_no_show(request: HttpRequest, booking_id: int) -> HttpResponse:
    return _action(request, booking_id, lambda: booking_services.booking_no_show(
        access=request.access, booking_id=booking_id), _("Marked as a no-show."))


@staff_page("bookings.book")
@require_POST
def booking_check_in(request: HttpRequest, booking_id: int) -> HttpResponse:
    card = request.POST.get("member_card_id", "")
    return _action(request, booking_id, lambda: booking_services.booking_check_in(
        access=request.access, booking_id=booking_id, member_card_id=int(card) if card.isdigit() else None),
        _("Checked in."))
