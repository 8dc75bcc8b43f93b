"""Local days: "today", birthdays and expiry follow the merchant's or store's time zone (rule 6)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone


def local_date(when: datetime, tz_name: str) -> date:
    return when.astimezone(ZoneInfo(tz_name)).date()


def local_today(tz_name: str) -> date:
    return local_date(timezone.now(), tz_name)


def day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The aware [start, end) of a local day."""
    tz = ZoneInfo(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
