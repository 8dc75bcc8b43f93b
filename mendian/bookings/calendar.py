"""The calendar grid of the pages: bookings and classes laid out as blocks by resource (day) or by day
(week), in the store's local time. Plain data for the template; no writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from mendian.tenancy.access import Access
from mendian.tenancy.models import Store

from . import selectors
from .availability import resource_days
from .models import Booking, Resource

DEFAULT_HOURS = (8, 22)


@dataclass
class Block:
    id: int
    kind: str  # booking | class
    title: str
    subtitle: str
    start: datetime
    end: datetime
    top: int
    height: int
    status: str
    movable: bool
    lane: int = 0
    lanes: int = 1


@dataclass
class Column:
    key: str
    label: str
    day: date
    resource_id: int | None
    blocks: list[Block] = field(default_factory=list)
    # (top, height) in minutes of the times the resource does not work (shaded)
    off: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Grid:
    view: str
    day: date
    days: list[date]
    first_hour: int
    last_hour: int
    columns: list[Column]
    resources: list[Resource]
    resource: Resource | None

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_hour, self.last_hour))

    @property
    def height(self) -> int:
        return (self.last_hour - self.first_hour) * 60


def _hours(store: Store) -> tuple[int, int]:
    periods = store.opening_hours or []
    if not periods:
        return DEFAULT_HOURS
    first = min(int(p["start"][:2]) for p in periods)
    last = max(int(p["end"][:2]) + (1 if p["end"][3:] != "00" else 0) for p in periods)
    return first, max(last, first + 1)


def _lanes(blocks: list[Block]) -> None:
    """Side by side where blocks overlap (greedy lanes within each cluster of overlaps)."""
    blocks.sort(key=lambda b: (b.start, b.end))
    cluster: list[Block] = []
    cluster_end = None
    lane_ends: list[datetime] = []

    def close() -> None:
        for member in cluster:
            member.lanes = len(lane_ends)

    for block in blocks:
        if cluster_end is not None and block.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        lane = next((i for i, end in enumerate(lane_ends) if end <= block.start), None)
        if lane is None:
            lane_ends.append(block.end)
            lane = len(lane_ends) - 1
        else:
            lane_ends[lane] = block.end
        block.lane = lane
        cluster.append(block)
        cluster_end = block.end if cluster_end is None else max(cluster_end, block.end)
    close()


def build_grid(*, access: Access, store: Store, day: date, view: str, resource_id: int | None) -> Grid:
    tz = ZoneInfo(store.timezone)
    resources = list(selectors.resource_list(access=access, store_id=store.pk, active_only=True))
    resource = next((r for r in resources if r.pk == resource_id), None)
    days = [selectors.week_start(day) + timedelta(days=i) for i in range(7)] if view == "week" else [day]
    first_hour, last_hour = _hours(store)
    if view == "week":
        columns = [Column(d.isoformat(), d.isoformat(), d, resource.pk if resource else None) for d in days]
    else:
        shown = [resource] if resource else resources
        columns = [Column(str(r.pk), r.name, day, r.pk) for r in shown]
    start = datetime.combine(days[0], time.min, tzinfo=tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=tz)
    bookings = selectors.booking_list(access=access, store_id=store.pk, start=start, end=end).exclude(
        status=Booking.Status.CANCELLED)
    if resource:
        bookings = bookings.filter(holds__resource_id=resource.pk)
    now = timezone.now()
    can_move = access.can("bookings.book")
    names = {r.pk: r.name for r in resources}
    for booking in bookings:
        held = [h.resource_id for h in booking.holds.all()]
        subtitle = " · ".join([booking.product.name] + [names.get(rid, "") for rid in held if view == "week"])
        for column in _columns_for(columns, view, booking.start_at.astimezone(tz).date(), held):
            column.blocks.append(_block(booking.pk, "booking", booking.member.name or booking.member.phone[-4:],
                                        subtitle, booking.start_at, booking.end_at, tz, first_hour, booking.status,
                                        can_move and booking.status == Booking.Status.CONFIRMED
                                        and booking.start_at > now))
    for session in selectors.class_list(access=access, store_id=store.pk, start=start, end=end).filter(
            status="scheduled"):
        if resource and session.resource_id != resource.pk:
            continue
        held = [session.resource_id] if session.resource_id else []
        targets = _columns_for(columns, view, session.start_at.astimezone(tz).date(), held)
        for column in targets:
            column.blocks.append(_block(session.pk, "class", session.name, f"{session.booked}/{session.capacity}",
                                        session.start_at, session.end_at, tz, first_hour, "class", False))
    for column in columns:
        _lanes(column.blocks)
    if view == "day" and columns:
        _shade(store, [r for r in resources if r.pk in {c.resource_id for c in columns}], day, columns, first_hour,
               last_hour)
    return Grid(view, day, days, first_hour, last_hour, columns, resources, resource)


def _shade(store: Store, resources: list[Resource], day: date, columns: list[Column], first_hour: int,
           last_hour: int) -> None:
    """Shade each resource's hours off (outside its schedule, the opening hours, or on leave)."""
    tz = ZoneInfo(store.timezone)
    origin = datetime.combine(day, time(first_hour), tzinfo=tz)
    days = resource_days(store=store, resources=resources, day=day)
    span = (last_hour - first_hour) * 60
    for column in columns:
        plan = days.get(column.resource_id)
        if plan is None:
            continue
        cursor = 0
        for start, end in plan.working:
            top = max(0, int((start.astimezone(tz) - origin).total_seconds() // 60))
            bottom = min(span, int((end.astimezone(tz) - origin).total_seconds() // 60))
            if top > cursor:
                column.off.append((cursor, top - cursor))
            cursor = max(cursor, bottom)
        if cursor < span:
            column.off.append((cursor, span - cursor))


def _columns_for(columns: list[Column], view: str, local_day: date, held: list[int]) -> list[Column]:
    if view == "week":
        return [c for c in columns if c.day == local_day]
    return [c for c in columns if c.resource_id in held]


def _block(pk: int, kind: str, title: str, subtitle: str, start: datetime, end: datetime, tz: ZoneInfo,
           first_hour: int, status: str, movable: bool) -> Block:
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    origin = local_start.replace(hour=first_hour, minute=0, second=0, microsecond=0)
    top = max(0, int((local_start - origin).total_seconds() // 60))
    height = max(15, int((local_end - local_start).total_seconds() // 60))
    return Block(pk, kind, title, subtitle, local_start, local_end, top, height, status, movable)
