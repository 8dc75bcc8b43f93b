from __future__ import annotations

from datetime import date

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import NotFound
from mendian.members.models import Member
from mendian.tenancy.access import Access

from .models import Level, PointsEntry, PointsLot


def level_list(*, access: Access) -> QuerySet[Level]:
    return Level.objects.filter(merchant=access.merchant).order_by("rank")


def level_get(*, access: Access, level_id: int) -> Level:
    level = Level.objects.filter(merchant=access.merchant, pk=level_id).first()
    if level is None:
        raise NotFound("level_not_found", _("Level not found."))
    return level


def points_entries(*, merchant_id: int, member: Member) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(merchant_id=merchant_id, member=member)


def upcoming_expiry(*, member: Member, until: date) -> list[tuple[date, int]]:
    """Points that will expire, by date, up to ``until`` (shown ahead on the member page)."""
    rows = (PointsLot.objects.filter(account__member=member, remaining__gt=0, expires_on__isnull=False,
                                     expires_on__lte=until)
            .values("expires_on").annotate(points=Sum("remaining")).order_by("expires_on"))
    return [(row["expires_on"], row["points"]) for row in rows]
