"""Loading a store's day for the slot engine: which resources can do a service, when they work, what
holds them. Reads only; ``services.booking`` calls it again after locking the resources."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mendian.catalog.models import Product
from mendian.core.time import day_bounds
from mendian.tenancy.models import Store

from .engine import Period, ResourceDay, hhmm, local_intervals, working_intervals
from .models import BookingResource, ClassSession, Resource, ResourceException, ServiceRequirement


@dataclass
class DayPlan:
    """What the engine needs for one service on one local day of a store."""

    day: date
    tz_name: str
    groups: list[list[ResourceDay]]
    duration: timedelta
    buffer: timedelta
    opening: list[tuple[datetime, datetime]] | None


def periods(rows: list[dict]) -> list[Period]:
    return [Period(int(r["weekday"]), r["start"], r["end"]) for r in rows]


def required_kinds(*, merchant_id: int, product_id: int) -> list[str]:
    """The kinds of resource the service needs at once, in a fixed order ([] means one of any kind)."""
    return sorted(ServiceRequirement.objects.filter(merchant_id=merchant_id, product_id=product_id)
                  .values_list("kind", flat=True))


def capable_resources(*, store: Store, product_id: int) -> list[Resource]:
    return list(Resource.objects.filter(merchant_id=store.merchant_id, store=store, is_active=True,
                                        products=product_id).order_by("pk"))


def store_opening(store: Store, day: date) -> list[tuple[datetime, datetime]] | None:
    """The store's opening intervals on ``day`` (None when the store sets no opening hours)."""
    if not store.opening_hours:
        return None
    return local_intervals(day, store.timezone, periods(store.opening_hours))


def resource_days(*, store: Store, resources: list[Resource], day: date,
                  exclude_booking_id: int | None = None) -> dict[int, ResourceDay]:
    """Each resource's working intervals and busy blocks on the store's local ``day`` (three queries)."""
    tz = store.timezone
    start, end = day_bounds(day, tz)
    ids = [r.pk for r in resources]
    exceptions: dict[int, list[ResourceException]] = defaultdict(list)
    for row in ResourceException.objects.filter(resource_id__in=ids, date=day):
        exceptions[row.resource_id].append(row)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    # A block that begins before midnight or a start late in the day whose buffer runs past it both count.
    until = end + timedelta(hours=12)
    holds = BookingResource.objects.filter(resource_id__in=ids, is_active=True, start_at__lt=until,
                                           block_end_at__gt=start)
    if exclude_booking_id is not None:
        holds = holds.exclude(booking_id=exclude_booking_id)
    for resource_id, b_start, b_end in holds.values_list("resource_id", "start_at", "block_end_at"):
        busy[resource_id].append((b_start, b_end))
    classes = ClassSession.objects.filter(resource_id__in=ids, status=ClassSession.Status.SCHEDULED,
                                          start_at__lt=until, end_at__gt=start)
    for resource_id, c_start, c_end in classes.values_list("resource_id", "start_at", "end_at"):
        busy[resource_id].append((c_start, c_end))
    opening = None if not store.opening_hours else periods(store.opening_hours)
    tzinfo = ZoneInfo(tz)
    out = {}
    for resource in resources:
        rows = exceptions.get(resource.pk, [])
        away = [(datetime.combine(day, hhmm(r.start), tzinfo=tzinfo), datetime.combine(day, hhmm(r.end), tzinfo=tzinfo))
                for r in rows if r.start and r.end]
        working = working_intervals(day=day, tz_name=tz, weekly=periods(resource.weekly), opening=opening,
                                    closed_all_day=any(not (r.start and r.end) for r in rows), away=away)
        out[resource.pk] = ResourceDay(resource.pk, resource.kind, resource.capacity, working,
                                       sorted(busy.get(resource.pk, [])))
    return out


def group_resources(resources: list[Resource], kinds: list[str],
                    pinned: Resource | None = None) -> list[list[Resource]]:
    """One group per required kind (or a single group of all); a pinned resource alone in its group."""
    if not kinds:
        return [[pinned] if pinned else resources]
    groups = []
    for kind in kinds:
        if pinned is not None and pinned.kind == kind:
            groups.append([pinned])
        else:
            groups.append([r for r in resources if r.kind == kind])
    return groups


def day_plan(*, store: Store, product: Product, day: date, resources: list[Resource], kinds: list[str],
             pinned: Resource | None = None, exclude_booking_id: int | None = None) -> DayPlan:
    grouped = group_resources(resources, kinds, pinned)
    days = resource_days(store=store, resources=[r for g in grouped for r in g], day=day,
                         exclude_booking_id=exclude_booking_id)
    return DayPlan(day=day, tz_name=store.timezone, groups=[[days[r.pk] for r in g] for g in grouped],
                   duration=timedelta(minutes=product.duration_min or 0),
                   buffer=timedelta(minutes=product.buffer_min or 0), opening=store_opening(store, day))
