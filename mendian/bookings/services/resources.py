"""Resources (staff, rooms, equipment), their weekly schedules and exceptions, and what services need."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.core.errors import InvalidInput, NotFound
from mendian.tenancy.access import Access
from mendian.tenancy.models import Staff
from mendian.tenancy.services.audit import audit_record
from mendian.tenancy.validation import _HHMM, clean_opening_hours

from ..models import BookingPolicy, Resource, ResourceException, ServiceRequirement
from .common import bookable_product, store_of

MAX_CAPACITY = 100


def _clean_name(name: Any) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 60:
        raise InvalidInput("invalid_name", _("Enter a name of 1 to 60 characters."), field="name")
    return name


def _clean_kind(kind: Any) -> str:
    if kind not in Resource.Kind.values:
        raise InvalidInput("invalid_kind", _("A resource is a staff member, a room or equipment."), field="kind")
    return kind


def _clean_capacity(capacity: Any) -> int:
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput("invalid_capacity", _("Bookings at once must be between 1 and %(max)s.")
                           % {"max": MAX_CAPACITY}, field="capacity")
    return capacity


def _services(access: Access, product_ids: Any) -> list[int]:
    if not isinstance(product_ids, list | tuple):
        raise InvalidInput("invalid_products", _("Give the services as a list of ids."), field="product_ids")
    wanted = {int(p) for p in product_ids}
    found = set(Product.objects.filter(merchant=access.merchant, pk__in=wanted).values_list("pk", flat=True))
    if wanted - found:
        raise NotFound("product_not_found", _("Product not found."), field="product_ids",
                       detail={"product_ids": sorted(wanted - found)})
    for product_id in sorted(wanted):
        bookable_product(access.merchant, product_id)
    return sorted(wanted)


def _staff(access: Access, staff_id: int | None) -> Staff | None:
    if staff_id is None:
        return None
    staff = Staff.objects.filter(merchant=access.merchant, pk=staff_id).first()
    if staff is None:
        raise NotFound("staff_not_found", _("Staff member not found."), field="staff_id")
    return staff


def resource_create(*, access: Access, store_id: int, name: str, kind: str, product_ids: list[int],
                    capacity: int = 1, staff_id: int | None = None, weekly: list[dict] | None = None) -> Resource:
    access.require("bookings.manage")
    store = store_of(access, store_id)
    cleaned = {"name": _clean_name(name), "kind": _clean_kind(kind), "capacity": _clean_capacity(capacity)}
    products = _services(access, product_ids)
    staff = _staff(access, staff_id)
    schedule = _clean_weekly(weekly or [])
    with transaction.atomic():
        resource = Resource.objects.create(merchant=access.merchant, store=store, staff=staff, weekly=schedule,
                                           **cleaned)
        resource.products.set(products)
        audit_record(merchant=access.merchant, actor=access, store=store, action="resource.created",
                     target=resource, changes={"kind": resource.kind, "product_ids": products})
    return resource


def resource_update(*, access: Access, resource: Resource, **fields: Any) -> Resource:
    """Change name, kind, capacity, services, staff account or whether it takes bookings."""
    access.require("bookings.manage")
    cleaners = {"name": _clean_name, "kind": _clean_kind, "capacity": _clean_capacity}
    changes: dict[str, Any] = {}
    with transaction.atomic():
        for name, value in fields.items():
            if name in cleaners:
                value = cleaners[name](value)
            elif name == "is_active":
                value = bool(value)
            elif name == "staff_id":
                value = _staff(access, value).pk if value is not None else None
            elif name == "product_ids":
                products = _services(access, value)
                before = sorted(resource.products.values_list("pk", flat=True))
                if before != products:
                    resource.products.set(products)
                    changes["product_ids"] = [before, products]
                continue
            else:
                raise InvalidInput("unknown_fields", _("Unknown fields: %(fields)s.") % {"fields": name})
            if getattr(resource, name) != value:
                changes[name] = [getattr(resource, name), value]
                setattr(resource, name, value)
        resource.save()
        audit_record(merchant=access.merchant, actor=access, store=resource.store_id, action="resource.updated",
                     target=resource, changes=changes)
    return resource


def _clean_weekly(weekly: Any) -> list[dict[str, Any]]:
    try:
        return clean_opening_hours(weekly)
    except InvalidInput as error:
        raise InvalidInput("invalid_schedule", error.message, field="weekly") from error


def _clean_exceptions(rows: Any) -> list[ResourceException]:
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise InvalidInput("invalid_schedule", _("Exceptions must be a list."), field="exceptions")
    out = []
    for row in rows:
        if not isinstance(row, dict) or "date" not in row:
            raise InvalidInput("invalid_schedule", _("Each exception needs a date."), field="exceptions")
        try:
            day = row["date"] if isinstance(row["date"], date) else date.fromisoformat(str(row["date"]))
        except ValueError as exc:
            raise InvalidInput("invalid_schedule", _("Enter a valid date (YYYY-MM-DD)."), field="exceptions") from exc
        start, end = row.get("start") or "", row.get("end") or ""
        closed = row.get("closed", not (start or end))
        if closed:
            start = end = ""
        elif not (_HHMM.match(start) and _HHMM.match(end) and start < end):
            raise InvalidInput("invalid_schedule", _("A partial day off needs a start and a later end (HH:MM)."),
                               field="exceptions")
        out.append(ResourceException(date=day, start=start, end=end, note=str(row.get("note") or "")[:100]))
    return out


def schedule_set(*, access: Access, resource: Resource, weekly: Any, exceptions: Any = None) -> Resource:
    """Replace the weekly schedule (the store's local time) and, when given, the exceptions.

    Bookings already made stay; new ones follow the new schedule."""
    access.require("bookings.manage")
    schedule = _clean_weekly(weekly)
    rows = _clean_exceptions(exceptions) if exceptions is not None else None
    with transaction.atomic():
        before = resource.weekly
        resource.weekly = schedule
        resource.save(update_fields=["weekly", "updated_at"])
        if rows is not None:
            resource.exceptions.all().delete()
            for row in rows:
                row.resource = resource
            ResourceException.objects.bulk_create(rows)
        audit_record(merchant=access.merchant, actor=access, store=resource.store_id, action="resource.schedule",
                     target=resource, changes={"weekly": [before, schedule]}
                     | ({"exceptions": len(rows)} if rows is not None else {}))
    return resource


def requirements_set(*, access: Access, product_id: int, kinds: list[str]) -> list[str]:
    """What a service needs at once: one resource of each kind (none listed: one resource of any kind)."""
    access.require("bookings.manage")
    product = bookable_product(access.merchant, product_id)
    cleaned = sorted({_clean_kind(kind) for kind in kinds})
    with transaction.atomic():
        ServiceRequirement.objects.filter(merchant=access.merchant, product=product).delete()
        ServiceRequirement.objects.bulk_create(
            [ServiceRequirement(merchant=access.merchant, product=product, kind=kind) for kind in cleaned])
        audit_record(merchant=access.merchant, actor=access, action="service.requirements", target=product,
                     changes={"kinds": cleaned})
    return cleaned


def policy_set(*, access: Access, cancel_cutoff_min: int) -> BookingPolicy:
    access.require("bookings.manage")
    if not isinstance(cancel_cutoff_min, int) or not 0 <= cancel_cutoff_min <= 7 * 24 * 60:
        raise InvalidInput("invalid_cutoff", _("The cut-off is between 0 minutes and 7 days."),
                           field="cancel_cutoff_min")
    with transaction.atomic():
        policy, _created = BookingPolicy.objects.select_for_update().get_or_create(merchant=access.merchant)
        before, policy.cancel_cutoff_min = policy.cancel_cutoff_min, cancel_cutoff_min
        policy.save()
        audit_record(merchant=access.merchant, actor=access, action="booking.policy",
                     changes={"cancel_cutoff_min": [before, cancel_cutoff_min]})
    return policy
