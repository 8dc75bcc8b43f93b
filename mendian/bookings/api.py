"""REST endpoints of appointments (API.md "Bookings"): resources and schedules, slots, bookings,
classes with waitlists, check-in, service plans."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import ValidationError
from pydantic import ValidationError as PydanticValidationError

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.errors import BadRequest
from mendian.core.pagination import paginate
from mendian.members import selectors as member_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write
from mendian.tenancy.selectors import store_get

from . import selectors
from .models import Booking, ClassBooking, ClassSession, PlanTemplate, Resource, ServicePlan
from .schemas import (
    BookingFilter,
    BookingIn,
    BookingOut,
    CancelIn,
    CheckInIn,
    ClassBookingIn,
    ClassBookingOut,
    ClassCreatedOut,
    ClassFilter,
    ClassIn,
    ClassOut,
    PlanIn,
    PlanOut,
    PlanTemplateIn,
    PlanTemplateOut,
    PolicyIn,
    PolicyOut,
    RequirementsIn,
    RequirementsOut,
    RescheduleIn,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
    ScheduleIn,
    SlotsOut,
)
from .services import bookings as booking_services
from .services import classes as class_services
from .services import plans as plan_services
from .services import resources as resource_services
from .services.common import policy

router = Router(tags=["bookings"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


S = TypeVar("S", bound=Schema)


def _optional_body(request: HttpRequest, schema: type[S]) -> S:
    """A body that may be left out entirely (``POST /bookings/{id}/cancel`` with nothing is a cancel)."""
    if not request.body.strip() or request.content_type != "application/json":
        return schema()
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise BadRequest("malformed_json", _("The request body is not valid JSON.")) from exc
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError([dict(e, loc=("body", "payload", *e["loc"])) for e in exc.errors()]) from exc


def _doc(schema: type[Schema]) -> dict[str, Any]:
    return {"requestBody": {"required": False,
                            "content": {"application/json": {"schema": schema.model_json_schema()}}}}


def resource_out(resource: Resource) -> dict[str, Any]:
    return {"id": resource.pk, "store_id": resource.store_id, "name": resource.name, "kind": resource.kind,
            "capacity": resource.capacity, "staff_id": resource.staff_id, "is_active": resource.is_active,
            "product_ids": sorted(p.pk for p in resource.products.all()), "weekly": resource.weekly,
            "exceptions": [{"date": e.date, "closed": not (e.start and e.end), "start": e.start or None,
                            "end": e.end or None, "note": e.note}
                           for e in sorted(resource.exceptions.all(), key=lambda e: (e.date, e.start))]}


def _local(moment: Any, tz_name: str) -> Any:
    return moment.astimezone(ZoneInfo(tz_name)) if moment else None


def booking_out(booking: Booking) -> dict[str, Any]:
    tz = booking.store.timezone
    holds = list(booking.holds.all())
    resource_ids = sorted(h.resource_id for h in holds)
    # ``resource_id`` names who does the service: the staff member when it needs several resources
    main = min(holds, key=lambda h: (h.resource.kind != "staff", h.resource_id), default=None)
    session = booking.plan_session
    return {"id": booking.pk, "status": booking.status, "store_id": booking.store_id,
            "product_id": booking.product_id, "member_id": booking.member_id,
            "start": _local(booking.start_at, tz), "end": _local(booking.end_at, tz),
            "resource_id": main.resource_id if main else 0, "resource_ids": resource_ids,
            "plan_id": session.plan_id if session else None, "card_use_id": booking.card_use_id,
            "checked_in_at": _local(booking.checked_in_at, tz), "cancelled_at": _local(booking.cancelled_at, tz)}


def class_out(session: ClassSession) -> dict[str, Any]:
    tz = session.store.timezone
    return {"id": session.pk, "store_id": session.store_id, "name": session.name,
            "start": _local(session.start_at, tz), "end": _local(session.end_at, tz),
            "duration_min": int((session.end_at - session.start_at).total_seconds() // 60),
            "capacity": session.capacity, "booked": session.booked, "waitlisted": session.waitlisted,
            "product_id": session.product_id, "resource_id": session.resource_id, "status": session.status}


def place_out(place: ClassBooking) -> dict[str, Any]:
    return {"id": place.pk, "class_id": place.session_id, "member_id": place.member_id, "status": place.status,
            "waitlist_position": selectors.waitlist_position(place), "card_use_id": place.card_use_id}


def template_out(template: PlanTemplate) -> dict[str, Any]:
    return {"id": template.pk, "name": template.name, "product_id": template.product_id,
            "sessions": template.sessions, "interval_days": template.interval_days, "is_active": template.is_active}


def plan_out(plan: ServicePlan) -> dict[str, Any]:
    progress = selectors.plan_progress(plan)
    sessions = [{"number": s.number, "due_date": s.due_date, "done_at": s.done_at,
                 "booking_id": getattr(getattr(s, "booking", None), "pk", None)} for s in plan.sessions.all()]
    return {"id": plan.pk, "template_id": plan.template_id, "name": plan.template.name, "member_id": plan.member_id,
            "staff_id": plan.staff_id, "store_id": plan.store_id, "status": plan.status, "done": progress.done,
            "total": progress.total, "next_due": progress.next_due, "sessions": sessions}


# --- resources -------------------------------------------------------------------------------------
@router.post("/resources", response={201: ResourceOut, **ERRORS})
@decorate_view(api_write)
def resources_create(request: HttpRequest, payload: ResourceIn) -> Status:
    data = payload.model_dump()
    data["weekly"] = data["weekly"] or []
    resource = resource_services.resource_create(access=_access(request), **data)
    return Status(201, resource_out(selectors.resource_get(access=_access(request), resource_id=resource.pk)))


@router.get("/resources", response={200: list[ResourceOut], **ERRORS})
def resources_list(request: HttpRequest, store_id: int | None = None) -> list[dict[str, Any]]:
    return [resource_out(r) for r in selectors.resource_list(access=_access(request), store_id=store_id)]


@router.get("/resources/{int:resource_id}", response={200: ResourceOut, **ERRORS})
def resources_get(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    return resource_out(selectors.resource_get(access=_access(request), resource_id=resource_id))


@router.patch("/resources/{int:resource_id}", response={200: ResourceOut, **ERRORS})
@decorate_view(api_write)
def resources_update(request: HttpRequest, resource_id: int, payload: ResourcePatch) -> dict[str, Any]:
    access = _access(request)
    resource = selectors.resource_get(access=access, resource_id=resource_id)
    resource_services.resource_update(access=access, resource=resource, **payload.model_dump(exclude_unset=True))
    return resource_out(selectors.resource_get(access=access, resource_id=resource_id))


@router.put("/resources/{int:resource_id}/schedule", response={200: ResourceOut, **ERRORS})
@decorate_view(api_write)
def resources_schedule(request: HttpRequest, resource_id: int, payload: ScheduleIn) -> dict[str, Any]:
    """The weekly schedule (weekday 0 = Monday, HH:MM in the store's time zone) and days off."""
    access = _access(request)
    resource = selectors.resource_get(access=access, resource_id=resource_id)
    data = payload.model_dump()
    resource_services.schedule_set(access=access, resource=resource, weekly=data["weekly"],
                                   exceptions=data["exceptions"])
    return resource_out(selectors.resource_get(access=access, resource_id=resource_id))


@router.put("/services/{int:service_id}/requirements", response={200: RequirementsOut, **ERRORS})
@decorate_view(api_write)
def services_requirements(request: HttpRequest, service_id: int, payload: RequirementsIn) -> dict[str, Any]:
    """What a service needs at once, e.g. ``["staff", "room"]``: a stylist and a room."""
    kinds = resource_services.requirements_set(access=_access(request), product_id=service_id, kinds=payload.kinds)
    return {"product_id": service_id, "kinds": kinds}


@router.get("/booking-policy", response={200: PolicyOut, **ERRORS})
def policy_get(request: HttpRequest) -> dict[str, Any]:
    _access(request).require("bookings.view")
    return {"cancel_cutoff_min": policy(_access(request).merchant.pk).cancel_cutoff_min}


@router.put("/booking-policy", response={200: PolicyOut, **ERRORS})
@decorate_view(api_write)
def policy_put(request: HttpRequest, payload: PolicyIn) -> dict[str, Any]:
    saved = resource_services.policy_set(access=_access(request), cancel_cutoff_min=payload.cancel_cutoff_min)
    return {"cancel_cutoff_min": saved.cancel_cutoff_min}


# --- slots and bookings ----------------------------------------------------------------------------
@router.get("/bookings/slots", response={200: SlotsOut, **ERRORS})
def bookings_slots(request: HttpRequest, store_id: int, product_id: int, date: date,
                   resource_id: int | None = None) -> dict[str, Any]:
    access = _access(request)
    slots = selectors.slots_for(access=access, store_id=store_id, product_id=product_id, day=date,
                                resource_id=resource_id)
    tz = store_get(access=access, store_id=store_id).timezone
    return {"slots": [{"start": _local(s.start, tz), "end": _local(s.end, tz), "resource_ids": sorted(s.resource_ids)}
                      for s in slots]}


@router.post("/bookings", response={201: BookingOut, **ERRORS})
@decorate_view(api_write)
def bookings_create(request: HttpRequest, payload: BookingIn) -> Status:
    access = _access(request)
    booking = booking_services.booking_create(access=access, source=Booking.Source.API,
                                              **payload.model_dump(exclude_none=True))
    return Status(201, booking_out(selectors.booking_get(access=access, booking_id=booking.pk)))


@router.get("/bookings", response={200: page_of(BookingOut), **ERRORS})
def bookings_list(request: HttpRequest, filters: Query[BookingFilter], params: Query[ListParams]):
    access = _access(request)
    tz = store_get(access=access, store_id=filters.store_id).timezone if filters.store_id else access.merchant.timezone
    start, end = selectors.local_range(tz, filters.date_from, filters.date_to)
    rows = selectors.booking_list(access=access, store_id=filters.store_id, member_id=filters.member_id,
                                  resource_id=filters.resource_id, start=start, end=end, status=filters.status)
    page = paginate(rows, cursor=params.cursor, limit=params.limit, order=("-start_at", "-id"))
    return {"items": [booking_out(b) for b in page.items], "next_cursor": page.next_cursor}


@router.get("/bookings/{int:booking_id}", response={200: BookingOut, **ERRORS})
def bookings_get(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    return booking_out(selectors.booking_get(access=_access(request), booking_id=booking_id))


@router.post("/bookings/{int:booking_id}/cancel", response={200: BookingOut, **ERRORS}, openapi_extra=_doc(CancelIn))
@decorate_view(api_write)
def bookings_cancel(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    """Cancel up to the merchant's cut-off (409 ``cutoff_passed`` after it; managers may override)."""
    access = _access(request)
    payload = _optional_body(request, CancelIn)
    booking_services.booking_cancel(access=access, booking_id=booking_id, reason=payload.reason or "",
                                    override_cutoff=payload.override_cutoff)
    return booking_out(selectors.booking_get(access=access, booking_id=booking_id))


@router.post("/bookings/{int:booking_id}/reschedule", response={200: BookingOut, **ERRORS})
@decorate_view(api_write)
def bookings_reschedule(request: HttpRequest, booking_id: int, payload: RescheduleIn) -> dict[str, Any]:
    access = _access(request)
    booking_services.booking_reschedule(access=access, booking_id=booking_id, **payload.model_dump())
    return booking_out(selectors.booking_get(access=access, booking_id=booking_id))


@router.post("/bookings/{int:booking_id}/no-show", response={200: BookingOut, **ERRORS})
@decorate_view(api_write)
def bookings_no_show(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    access = _access(request)
    booking_services.booking_no_show(access=access, booking_id=booking_id)
    return booking_out(selectors.booking_get(access=access, booking_id=booking_id))


@router.post("/bookings/{int:booking_id}/check-in", response={200: BookingOut, **ERRORS},
             openapi_extra=_doc(CheckInIn))
@decorate_view(api_write)
def bookings_check_in(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    access = _access(request)
    card = _optional_body(request, CheckInIn).member_card_id
    booking_services.booking_check_in(access=access, booking_id=booking_id, member_card_id=card)
    return booking_out(selectors.booking_get(access=access, booking_id=booking_id))


@router.get("/members/{int:member_id}/bookings", response={200: page_of(BookingOut), **ERRORS})
def member_bookings(request: HttpRequest, member_id: int, params: Query[ListParams]):
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    page = paginate(selectors.booking_list(access=access, member_id=member.pk), cursor=params.cursor,
                    limit=params.limit, order=("-start_at", "-id"))
    return {"items": [booking_out(b) for b in page.items], "next_cursor": page.next_cursor}


# --- classes --------------------------------------------------------------------------------------
@router.post("/classes", response={201: ClassCreatedOut, **ERRORS})
@decorate_view(api_write)
def classes_create(request: HttpRequest, payload: ClassIn) -> Status:
    access = _access(request)
    sessions = class_services.class_create(access=access, **payload.model_dump())
    first = selectors.class_get(access=access, class_id=sessions[0].pk)
    return Status(201, class_out(first) | {"series_ids": [s.pk for s in sessions]})


@router.get("/classes", response={200: page_of(ClassOut), **ERRORS})
def classes_list(request: HttpRequest, filters: Query[ClassFilter], params: Query[ListParams]):
    access = _access(request)
    tz = store_get(access=access, store_id=filters.store_id).timezone if filters.store_id else access.merchant.timezone
    start, end = selectors.local_range(tz, filters.date_from, filters.date_to)
    rows = selectors.class_list(access=access, store_id=filters.store_id, start=start, end=end)
    page = paginate(rows, cursor=params.cursor, limit=params.limit, order=("start_at", "id"))
    return {"items": [class_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/classes/{int:class_id}", response={200: ClassOut, **ERRORS})
def classes_get(request: HttpRequest, class_id: int) -> dict[str, Any]:
    return class_out(selectors.class_get(access=_access(request), class_id=class_id))


@router.get("/classes/{int:class_id}/bookings", response={200: list[ClassBookingOut], **ERRORS})
def classes_places(request: HttpRequest, class_id: int) -> list[dict[str, Any]]:
    session = selectors.class_get(access=_access(request), class_id=class_id)
    return [place_out(p) for p in selectors.class_places(session)]


@router.post("/classes/{int:class_id}/bookings", response={201: ClassBookingOut, **ERRORS})
@decorate_view(api_write)
def classes_book(request: HttpRequest, class_id: int, payload: ClassBookingIn) -> Status:
    """A place in the class; a full class is 409 ``class_full`` unless ``waitlist`` is true."""
    place = class_services.class_book(access=_access(request), class_id=class_id, member_id=payload.member_id,
                                      waitlist=payload.waitlist)
    return Status(201, place_out(place))


@router.post("/class-bookings/{int:class_booking_id}/cancel", response={200: ClassBookingOut, **ERRORS},
             openapi_extra=_doc(CancelIn))
@decorate_view(api_write)
def class_bookings_cancel(request: HttpRequest, class_booking_id: int):
    """Frees the place and confirms the first member on the waitlist."""
    payload = _optional_body(request, CancelIn)
    place = class_services.class_booking_cancel(access=_access(request), class_booking_id=class_booking_id,
                                                override_cutoff=payload.override_cutoff)
    return place_out(place)


@router.post("/class-bookings/{int:class_booking_id}/check-in", response={200: ClassBookingOut, **ERRORS},
             openapi_extra=_doc(CheckInIn))
@decorate_view(api_write)
def class_bookings_check_in(request: HttpRequest, class_booking_id: int):
    place = class_services.class_check_in(access=_access(request), class_booking_id=class_booking_id,
                                          member_card_id=_optional_body(request, CheckInIn).member_card_id)
    return place_out(place)


@router.post("/class-bookings/{int:class_booking_id}/no-show", response={200: ClassBookingOut, **ERRORS})
@decorate_view(api_write)
def class_bookings_no_show(request: HttpRequest, class_booking_id: int):
    return place_out(class_services.class_no_show(access=_access(request), class_booking_id=class_booking_id))


# --- service plans ---------------------------------------------------------------------------------
@router.post("/plan-templates", response={201: PlanTemplateOut, **ERRORS})
@decorate_view(api_write)
def plan_templates_create(request: HttpRequest, payload: PlanTemplateIn) -> Status:
    return Status(201, template_out(plan_services.plan_template_create(access=_access(request),
                                                                       **payload.model_dump())))


@router.get("/plan-templates", response={200: list[PlanTemplateOut], **ERRORS})
def plan_templates_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [template_out(t) for t in selectors.plan_templates(access=_access(request))]


@router.post("/members/{int:member_id}/service-plans", response={201: PlanOut, **ERRORS})
@decorate_view(api_write)
def member_plans_create(request: HttpRequest, member_id: int, payload: PlanIn) -> Status:
    access = _access(request)
    plan = plan_services.plan_assign(access=access, member_id=member_id, **payload.model_dump())
    return Status(201, plan_out(selectors.plan_get(access=access, plan_id=plan.pk)))


@router.get("/members/{int:member_id}/service-plans", response={200: list[PlanOut], **ERRORS})
def member_plans(request: HttpRequest, member_id: int) -> list[dict[str, Any]]:
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    return [plan_out(p) for p in selectors.plan_list(access=access, member_id=member.pk).order_by("-id")]


@router.get("/service-plans/{int:service_plan_id}", response={200: PlanOut, **ERRORS})
def plans_get(request: HttpRequest, service_plan_id: int) -> dict[str, Any]:
    return plan_out(selectors.plan_get(access=_access(request), plan_id=service_plan_id))


@router.post("/service-plans/{int:service_plan_id}/cancel", response={200: PlanOut, **ERRORS})
@decorate_view(api_write)
def plans_cancel(request: HttpRequest, service_plan_id: int) -> dict[str, Any]:
    access = _access(request)
    plan_services.plan_cancel(access=access, plan_id=service_plan_id)
    return plan_out(selectors.plan_get(access=access, plan_id=service_plan_id))
