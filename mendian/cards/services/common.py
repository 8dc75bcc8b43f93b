"""Helpers of the card services: the card row locked, the end of a validity counted in days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mendian.core.time import day_bounds, local_date
from mendian.tenancy.models import Merchant

from ..errors import card_not_found
from ..models import MemberCard


def locked_card(merchant: Merchant, member_card_id: Any) -> MemberCard:
    if not isinstance(member_card_id, int) or isinstance(member_card_id, bool):
        raise card_not_found()
    card = MemberCard.objects.select_for_update(of=("self",)).filter(merchant=merchant, pk=member_card_id).first()
    if card is None:
        raise card_not_found()
    return card



def end_of_days(start: datetime, days: int, tz_name: str) -> datetime:
    """The end of the ``days``-th local day counted from ``start``'s day (a 30-day card bought on the 1st
    is valid to the end of the 30th)."""
    last_day = local_date(start, tz_name) + timedelta(days=days - 1)
    return day_bounds(last_day, tz_name)[1] - timedelta(microseconds=1)
