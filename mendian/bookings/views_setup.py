"""Set-up pages: resources with their weekly schedule and days off, what services need, the cut-off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mendian.catalog.models import Product
from mendian.core.errors import DomainError
from mendian.tenancy.models import Staff, Store
from mendian.tenancy.selectors import store_choices
from mendian.tenancy.views.decorators import staff_page

from . import selectors
from .models import Resource, ServiceRequirement
from .services import resources as resource_services
from .services.common import policy

WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)
PERIODS_PER_DAY = 2


def _services(merchant_id: int) -> list[Product]:
    return list(Product.objects.filter(merchant_id=merchant_id, kind=Product.Kind.SERVICE, is_active=True,
                                       duration_min__gt=0).order_by("name"))


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _int(raw: str | None, default: int | None = None) -> int | None:
    return int(raw) if raw and raw.strip().isdigit() else default


@staff_page("bookings.view")
@require_GET
def resources(request: HttpRequest) -> HttpResponse:
    access = request.access
    services = _services(access.merchant.pk)
    needs: dict[int, set[str]] = {}
    for product_id, kind in ServiceRequirement.objects.filter(merchant=access.merchant).values_list("product_id",
                                                                                                   "kind"):
        needs.setdefault(product_id, set()).add(kind)
    return render(request, "bookings/resources.html", {
        "resources": selectors.resource_list(access=access), "services": services,
        "stores": store_choices(access=access).filter(status=Store.Status.ACTIVE), "kinds": Resource.Kind.choices,
        "needs": [(p, needs.get(p.pk, set())) for p in services], "policy": policy(access.merchant.pk),
        "can_manage": access.can("bookings.manage"),
        "staff": Staff.objects.filter(merchant=access.merchant, is_active=True).order_by("name"),
    })


def _back(request: HttpRequest, error: DomainError | None, done: str, to: str) -> HttpResponse:
    if error is not None:
        if error.status in (403, 404):
            raise error
        messages.error(request, str(error.message))
    else:
        messages.success(request, done)
    return redirect(to)


@staff_page("bookings.manage")
@require_POST
def resource_new(request: HttpRequest) -> HttpResponse:
    post = request.POST
    error, to = None, reverse("bookings:resources")
    try:
        resource = resource_services.resource_create(
            access=request.access, store_id=_int(post.get("store"), 0), name=post.get("name", ""),
            kind=post.get("kind", ""), product_ids=_ids(post.getlist("product_ids")),
            capacity=_int(post.get("capacity"), 1), staff_id=_int(post.get("staff_id")),
            weekly=[{"weekday": d, "start": "10:00", "end": "20:00"} for d in WEEKDAYS])
        to = reverse("bookings:resource", args=[resource.pk])
    except DomainError as exc:
        error = exc
    return _back(request, error, _("Resource added. Set its weekly schedule below."), to)


def _weekly_rows(resource: Resource) -> list[dict[str, Any]]:
    rows = []
    for day in WEEKDAYS:
        periods = [p for p in resource.weekly if p["weekday"] == day][:PERIODS_PER_DAY]
        periods += [{"start": "", "end": ""}] * (PERIODS_PER_DAY - len(periods))
        rows.append({"weekday": day, "name": WEEKDAY_NAMES[day],
                     "periods": [(i, p["start"], p["end"]) for i, p in enumerate(periods)]})
    return rows


@staff_page("bookings.view")
@require_GET
def resource_detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    access = request.access
    resource = selectors.resource_get(access=access, resource_id=resource_id)
    return render(request, "bookings/resource_detail.html", {
        "resource": resource, "services": _services(access.merchant.pk),
        "chosen": set(resource.products.values_list("pk", flat=True)), "weekly": _weekly_rows(resource),
        "exceptions": resource.exceptions.order_by("date", "start"), "kinds": Resource.Kind.choices,
        "can_manage": access.can("bookings.manage"),
    })


@staff_page("bookings.manage")
@require_POST
def resource_edit(request: HttpRequest, resource_id: int) -> HttpResponse:
    post = request.POST
    resource = selectors.resource_get(access=request.access, resource_id=resource_id)
    error = None
    try:
        resource_services.resource_update(
            access=request.access, resource=resource, name=post.get("name", ""), kind=post.get("kind", ""),
            capacity=_int(post.get("capacity"), 0), product_ids=_ids(post.getlist("product_ids")),
            is_active=post.get("is_active") == "1")
    except DomainError as exc:
        error = exc
    return _back(request, error, _("Saved."), reverse("bookings:resource", args=[resource.pk]))


def _current_exceptions(resource: Resource) -> list[dict[str, Any]]:
    return [{"date": e.date, "closed": not (e.start and e.end), "start": e.start, "end": e.end, "note": e.note}
            for e in resource.exceptions.order_by("date", "start")]


@staff_page("bookings.manage")
@require_POST
def resource_schedule(request: HttpRequest, resource_id: int) -> HttpResponse:
    """The weekly schedule form (two periods a day), and adding or removing a day off."""
    post = request.POST
    resource = selectors.resource_get(access=request.access, resource_id=resource_id)
    error = None
    try:
        exceptions = None
        if post.get("action") == "add_exception":
            whole = post.get("whole_day") == "1"
            exceptions = _current_exceptions(resource) + [{
                "date": post.get("date", ""), "closed": whole, "start": "" if whole else post.get("start", ""),
                "end": "" if whole else post.get("end", ""), "note": post.get("note", "")}]
            weekly = resource.weekly
        elif post.get("action") == "remove_exception":
            index = _int(post.get("index"), -1)
            exceptions = [e for i, e in enumerate(_current_exceptions(resource)) if i != index]
            weekly = resource.weekly
        else:
            weekly = [{"weekday": d, "start": post.get(f"start_{d}_{i}", ""), "end": post.get(f"end_{d}_{i}", "")}
                      for d in WEEKDAYS for i in range(PERIODS_PER_DAY)
                      if post.get(f"start_{d}_{i}") or post.get(f"end_{d}_{i}")]
        resource_services.schedule_set(access=request.access, resource=resource, weekly=weekly,
                                       exceptions=exceptions)
    except DomainError as exc:
        error = exc
    return _back(request, error, _("Schedule saved."), reverse("bookings:resource", args=[resource.pk]))


@staff_page("bookings.manage")
@require_POST
def requirements(request: HttpRequest, product_id: int) -> HttpResponse:
    error = None
    try:
        resource_services.requirements_set(access=request.access, product_id=product_id,
                                           kinds=request.POST.getlist("kinds"))
    except DomainError as exc:
        error = exc
    return _back(request, error, _("Saved."), reverse("bookings:resources") + "#needs")


@staff_page("bookings.manage")
@require_POST
def policy_edit(request: HttpRequest) -> HttpResponse:
    error = None
    try:
        resource_services.policy_set(access=request.access,
                                     cancel_cutoff_min=_int(request.POST.get("cancel_cutoff_min"), -1))
    except DomainError as exc:
        error = exc
    return _back(request, error, _("Saved."), reverse("bookings:resources") + "#policy")
