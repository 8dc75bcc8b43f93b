from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import NotFound
from mendian.members.models import Member
from mendian.tenancy.access import Access

from .models import Level, LoyaltyAccount, PointsEntry


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
    lots = LoyaltyAccount.objects.filter(member=member).values_list("lots", flat=True).first() or []
    return [(date.fromisoformat(key), points) for key, points in lots
            if key is not None and date.fromisoformat(key) <= until]
