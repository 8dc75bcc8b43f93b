"""Checks on store fields shared by the API and the pages."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def clean_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise InvalidInput("invalid_timezone", _("Unknown time zone."), field="timezone") from exc
    return name


def clean_store_code(code: str) -> str:
    code = (code or "").strip()
    if not _CODE.match(code):
        raise InvalidInput(
            "invalid_store_code", _("Store codes use 1 to 32 letters, digits, - or _."), field="code"
        )
    return code


def clean_coordinate(value: Any, *, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput("invalid_coordinate", _("Enter a number in degrees."), field=field) from exc
    if not -limit <= number <= limit:
        raise InvalidInput("invalid_coordinate", _("This coordinate is out of range."), field=field)
    return number


def clean_opening_hours(hours: Any) -> list[dict[str, Any]]:
    """``[{"weekday": 0-6 (Monday 0), "start": "HH:MM", "end": "HH:MM"}]``, sorted, without overlaps."""
    if hours in (None, ""):
        return []
    if not isinstance(hours, list):
        raise InvalidInput("invalid_opening_hours", _("Opening hours must be a list."), field="opening_hours")
    cleaned = []
    for item in hours:
        if not isinstance(item, dict) or set(item) != {"weekday", "start", "end"}:
            raise InvalidInput(
                "invalid_opening_hours",
                _("Each opening period needs a weekday, a start and an end."),
                field="opening_hours",
            )
        weekday, start, end = item["weekday"], item["start"], item["end"]
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise InvalidInput(
                "invalid_opening_hours", _("Weekdays run from 0 (Monday) to 6 (Sunday)."), field="opening_hours"
            )
        if not (isinstance(start, str) and _HHMM.match(start) and isinstance(end, str) and _HHMM.match(end)):
            raise InvalidInput("invalid_opening_hours", _("Times are written HH:MM."), field="opening_hours")
        if start >= end:
            raise InvalidInput(
                "invalid_opening_hours", _("An opening period must end after it starts."), field="opening_hours"
            )
        cleaned.append({"weekday": weekday, "start": start, "end": end})
    cleaned.sort(key=lambda period: (period["weekday"], period["start"]))
    for earlier, later in zip(cleaned, cleaned[1:], strict=False):
        if earlier["weekday"] == later["weekday"] and later["start"] < earlier["end"]:
            raise InvalidInput(
                "invalid_opening_hours", _("Opening periods on one day must not overlap."), field="opening_hours"
            )
    return cleaned
