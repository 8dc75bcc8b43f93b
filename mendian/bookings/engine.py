"""Free slots, as pure functions over plain data (no ORM): the selectors load a day, this decides.

A resource works in intervals (its weekly schedule for the weekday, within the store's opening hours,
minus its exceptions) and is busy in blocks (bookings from their start to their end plus buffer, and
its classes). A service of ``duration`` minutes with ``buffer`` minutes after it fits at ``start`` on a
resource when ``[start, start + duration)`` lies inside one working interval and fewer than
``capacity`` busy blocks overlap ``[start, start + duration + buffer)``. A service that needs several
resources at once (a stylist and a room) needs one free resource of each group at that start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

SLOT_STEP_MIN = 15


@dataclass(frozen=True)
class Period:
    """A local ``HH:MM``–``HH:MM`` period of one weekday (Monday 0)."""

    weekday: int
    start: str
    end: str


@dataclass
class ResourceDay:
    id: int
    kind: str
    capacity: int
    working: list[Interval]
    busy: list[Interval] = field(default_factory=list)

    def works(self, start: datetime, end: datetime) -> bool:
        return any(w_start <= start and end <= w_end for w_start, w_end in self.working)

    def overlaps(self, start: datetime, end: datetime) -> int:
        return sum(1 for b_start, b_end in self.busy if b_start < end and start < b_end)

    def free(self, start: datetime, end: datetime, block_end: datetime) -> bool:
        return self.works(start, end) and self.overlaps(start, block_end) < self.capacity


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    resource_ids: tuple[int, ...]


def hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def local_intervals(day: date, tz_name: str, periods: Iterable[Period]) -> list[Interval]:
    """The aware intervals of ``day`` covered by the weekday's periods (``24:00`` is not used: HH:MM < 24)."""
    tz = ZoneInfo(tz_name)
    return sorted(
        (datetime.combine(day, hhmm(p.start), tzinfo=tz), datetime.combine(day, hhmm(p.end), tzinfo=tz))
        for p in periods if p.weekday == day.weekday()
    )


def intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    out = []
    for a_start, a_end in first:
        for b_start, b_end in second:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                out.append((start, end))
    return sorted(out)


def subtract(intervals: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    out = list(intervals)
    for h_start, h_end in holes:
        cut = []
        for start, end in out:
            if h_end <= start or end <= h_start:
                cut.append((start, end))
                continue
            if start < h_start:
                cut.append((start, h_start))
            if h_end < end:
                cut.append((h_end, end))
        out = cut
    return sorted(out)


def working_intervals(*, day: date, tz_name: str, weekly: Iterable[Period], opening: Iterable[Period] | None,
                      closed_all_day: bool, away: Iterable[Interval] = ()) -> list[Interval]:
    """When a resource works on ``day``: its schedule, within opening hours (None: the store sets none)."""
    if closed_all_day:
        return []
    own = local_intervals(day, tz_name, weekly)
    if opening is not None:
        own = intersect(own, local_intervals(day, tz_name, opening))
    return subtract(own, list(away))


def choose(groups: Sequence[Sequence[ResourceDay]], start: datetime, duration: timedelta,
           buffer: timedelta) -> tuple[int, ...] | None:
    """One free resource of each group at ``start`` (the first free in each group's order), or None."""
    end, block_end = start + duration, start + duration + buffer
    chosen = []
    for group in groups:
        resource = next((r for r in group if r.free(start, end, block_end)), None)
        if resource is None:
            return None
        chosen.append(resource.id)
    return tuple(chosen)


def why_not(groups: Sequence[Sequence[ResourceDay]], start: datetime, duration: timedelta) -> str:
    """Why ``choose`` found nothing: ``outside_schedule`` (no resource of some group works then) or
    ``taken`` (they work then but are booked)."""
    end = start + duration
    for group in groups:
        if not any(r.works(start, end) for r in group):
            return "outside_schedule"
    return "taken"


def find_slots(*, groups: Sequence[Sequence[ResourceDay]], day: date, tz_name: str, duration: timedelta,
               buffer: timedelta, not_before: datetime, step_min: int = SLOT_STEP_MIN) -> list[Slot]:
    """Every start on the ``step_min`` grid of the local day at which the service fits, from ``not_before``."""
    if not groups or any(not group for group in groups):
        return []
    earliest = min((w[0] for group in groups for r in group for w in r.working), default=None)
    latest = max((w[1] for group in groups for r in group for w in r.working), default=None)
    if earliest is None or latest is None:
        return []
    midnight = datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name))
    step = timedelta(minutes=step_min)
    # First grid point at or after the earliest working time (grid counted from local midnight).
    offset = (earliest - midnight) // step
    start = midnight + offset * step
    if start < earliest:
        start += step
    slots = []
    while start + duration <= latest:
        if start >= not_before:
            chosen = choose(groups, start, duration, buffer)
            if chosen is not None:
                slots.append(Slot(start, start + duration, chosen))
        start += step
    return slots
