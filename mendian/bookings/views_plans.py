"""Service plan pages, and the appointments section of a member's profile (loaded by the profile with
htmx: bookings sit above members in the layers, so the members app does not import them)."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mendian.core.errors import DomainError, InvalidInput
from mendian.members import selectors as member_selectors
from mendian.tenancy.models import Staff, Store
from mendian.tenancy.selectors import store_choices
from mendian.tenancy.views.decorators import staff_page

from . import selectors
from .models import Booking, ServicePlan
from .services import plans as plan_services
from .views_setup import _int, _services


@staff_page("bookings.view")
@require_GET
def plans(request: HttpRequest) -> HttpResponse:
    access = request.access
    active = [(p, selectors.plan_progress(p)) for p in
              selectors.plan_list(access=access, status=ServicePlan.Status.ACTIVE).order_by("-id")[:200]]
    return render(request, "bookings/plans.html", {
        "templates": selectors.plan_templates(access=access), "plans": active,
        "services": _services(access.merchant.pk), "can_manage": access.can("bookings.manage")})


@staff_page("bookings.manage")
@require_POST
def plan_template_new(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        plan_services.plan_template_create(
            access=request.access, name=post.get("name", ""), product_id=_int(post.get("product_id"), 0),
            sessions=_int(post.get("sessions"), 0), interval_days=_int(post.get("interval_days"), 0))
        messages.success(request, _("Plan saved."))
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, str(error.message))
    return redirect(reverse("bookings:plans"))


@staff_page("bookings.view")
@require_GET
def plan_detail(request: HttpRequest, service_plan_id: int) -> HttpResponse:
    access = request.access
    plan = selectors.plan_get(access=access, plan_id=service_plan_id)
    tz = ZoneInfo(plan.store.timezone)
    sessions = [(s, getattr(s, "booking", None)) for s in plan.sessions.all()]
    progress = selectors.plan_progress(plan)
    return render(request, "bookings/plan_detail.html", {
        "plan": plan, "sessions": [(s, b, b.start_at.astimezone(tz) if b else None) for s, b in sessions],
        "progress": progress, "can_book": access.can("bookings.book") and plan.status == ServicePlan.Status.ACTIVE,
        "next_day": progress.next_due or timezone.localdate(), "once": uuid.uuid4().hex,
        "resources": selectors.resource_list(access=access, store_id=plan.store_id, active_only=True).filter(
            products=plan.template.product_id)})


@staff_page("bookings.book")
@require_POST
def plan_cancel(request: HttpRequest, service_plan_id: int) -> HttpResponse:
    try:
        plan_services.plan_cancel(access=request.access, plan_id=service_plan_id)
        messages.success(request, _("Plan cancelled."))
    except DomainError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, str(error.message))
    return redirect(reverse("bookings:plan", args=[service_plan_id]))


PAGE = "bookings/member_bookings.html"


def _member_context(request: HttpRequest, member_id: int) -> dict:
    access = request.access
    member = member_selectors.member_get(access=access, member_id=member_id)
    now = timezone.now()
    rows = selectors.booking_list(access=access, member_id=member.pk).order_by("-start_at")[:30]
    bookings = [(b, b.start_at.astimezone(ZoneInfo(b.store.timezone))) for b in rows]
    return {
        "member": member,
        "upcoming": [(b, t) for b, t in bookings if b.start_at >= now and b.status == Booking.Status.CONFIRMED][::-1],
        "past": [(b, t) for b, t in bookings if not (b.start_at >= now and b.status == Booking.Status.CONFIRMED)],
        "places": list(selectors.member_class_places(access=access, member_id=member.pk)[:20]),
        "plans": [(p, selectors.plan_progress(p)) for p in selectors.plan_list(access=access, member_id=member.pk)
                  .order_by("-id")[:20]],
        "can_book": access.can("bookings.book") and member.erased_at is None,
        "templates": selectors.plan_templates(access=access).filter(is_active=True),
        "stores": store_choices(access=access).filter(status=Store.Status.ACTIVE),
        "staff": Staff.objects.filter(merchant=access.merchant, is_active=True).order_by("name"),
        "today": timezone.localdate(),
    }


@staff_page("bookings.view")
@require_GET
def member_bookings(request: HttpRequest, member_id: int) -> HttpResponse:
    """The section (htmx, into the profile), or a page of its own without JavaScript."""
    context = _member_context(request, member_id)
    return render(request, f"{PAGE}#section" if request.htmx else PAGE, context)


@staff_page("bookings.book")
@require_POST
def member_plan_assign(request: HttpRequest, member_id: int) -> HttpResponse:
    post = request.POST
    member_selectors.member_get(access=request.access, member_id=member_id)
    try:
        raw = post.get("start_date", "")
        try:
            start = date.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput("invalid_date", _("Enter a valid date (YYYY-MM-DD)."), field="start_date") from exc
        plan = plan_services.plan_assign(
            access=request.access, member_id=member_id, template_id=_int(post.get("template_id"), 0),
            staff_id=_int(post.get("staff_id"), 0), store_id=_int(post.get("store_id"), 0), start_date=start)
        messages.success(request, _("Plan given to the member."))
        return redirect(reverse("bookings:plan", args=[plan.pk]))
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, str(error.message))
    return redirect(reverse("member_bookings:list", args=[member_id]))
