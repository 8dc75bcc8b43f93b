"""Row locks of appointments, always taken in one statement in primary-key order (no deadlocks)."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Resource


def lock_resources(resource_ids: Iterable[int]) -> None:
    """Lock resources before reading what holds them: two bookings of one resource decide one after the
    other. A no-op on SQLite, whose IMMEDIATE transactions already queue the writers."""
    list(Resource.objects.filter(pk__in=set(resource_ids)).order_by("pk").select_for_update(of=("self",))
         .values_list("pk", flat=True))
