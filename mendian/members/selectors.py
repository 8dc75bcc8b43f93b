"""Reads of members: lookup at the counter (phone, member code, card number, name), lists and filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.core.phones import normalize_phone
from mendian.core.time import day_bounds
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant

from .codes import parse_code, verify_otp
from .models import Member, Tag


def member_get(*, access: Access, member_id: int) -> Member:
    access.require("members.view")
    member = Member.objects.filter(merchant=access.merchant, pk=member_id).select_related("registered_store").first()
    if member is None:
        raise NotFound("member_not_found", _("Member not found."))
    return member


def member_by_code(*, merchant: Merchant, code: str) -> Member | None:
    """The member whose rotating code this is, while it is valid (this minute or the last)."""
    parsed = parse_code(code)
    if parsed is None:
        return None
    card_no, otp = parsed
    member = Member.objects.filter(merchant=merchant, card_no=card_no, erased_at__isnull=True).first()
    if member is None or not verify_otp(secret=member.code_secret, otp=otp):
        return None
    return member


def _lookup(merchant: Merchant, q: str) -> tuple[Q | None, bool]:
    """How the counter finds a member from one search box: the condition (None when nothing can match)
    and whether it names one member exactly (full phone, card number or member code)."""
    text = q.strip()
    if not text:
        return Q(), False
    if parse_code(text):
        member = member_by_code(merchant=merchant, code=text)
        return (Q(pk=member.pk) if member else None), True
    digits = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\+?\d+", digits):
        try:
            return Q(card_no=digits) | Q(phone=normalize_phone(digits)), True
        except InvalidInput:
            pass
        if len(digits) == 10:
            return Q(card_no=digits), True
        if len(digits) >= 4:
            return Q(phone__endswith=digits), False  # 手机尾号
        return None, False
    return Q(name__icontains=text), False


@dataclass(frozen=True)
class MemberFilter:
    q: str = ""
    level_id: int | None = None
    tag_id: int | None = None
    store_id: int | None = None
    channel: str = ""
    gender: str = ""
    joined_from: date | None = None
    joined_to: date | None = None
    birthday_month: int | None = None
    include_erased: bool = False


def member_list(*, access: Access, filters: MemberFilter) -> QuerySet[Member]:
    """Members matching ``filters``. A member is served in every store of the chain, so an exact
    lookup finds them anywhere; browsing is limited to store-bound staff's own stores."""
    access.require("members.view")
    members = Member.objects.filter(merchant=access.merchant)
    if not filters.include_erased:
        members = members.filter(erased_at__isnull=True)
    condition, exact = _lookup(access.merchant, filters.q)
    if condition is None:
        return members.none()
    members = members.filter(condition)
    if access.store_ids is not None and not exact:
        # Store staff list their stores' members; any member of the chain is found by phone, card or code.
        members = members.filter(registered_store__in=access.store_ids)
    if filters.level_id:
        members = members.filter(loyalty__level_id=filters.level_id)
    if filters.tag_id:
        members = members.filter(member_tags__tag_id=filters.tag_id)
    if filters.store_id:
        members = members.filter(registered_store_id=filters.store_id)
    if filters.channel:
        members = members.filter(source_channel=filters.channel)
    if filters.gender:
        members = members.filter(gender=filters.gender)
    if filters.birthday_month:
        members = members.filter(birthday__month=filters.birthday_month)
    if filters.joined_from and filters.joined_to and filters.joined_to < filters.joined_from:
        raise InvalidInput("invalid_period", _("The period ends before it starts."), field="joined_to")
    tz = access.merchant.timezone
    if filters.joined_from:
        members = members.filter(created_at__gte=day_bounds(filters.joined_from, tz)[0])
    if filters.joined_to:
        members = members.filter(created_at__lt=day_bounds(filters.joined_to, tz)[1])
    return members


def with_accounts(members: QuerySet[Member]) -> QuerySet[Member]:
    """Members with their level, points and stored value loaded in the same query."""
    return members.select_related("loyalty", "loyalty__level", "wallet", "registered_store").prefetch_related(
        "member_tags__tag")


def tag_list(*, access: Access) -> QuerySet[Tag]:
    access.require("members.view")
    return Tag.objects.filter(merchant=access.merchant).select_related("group").order_by("group__sort_order",
                                                                                          "group__name", "name")


def tag_get(*, access: Access, tag_id: int) -> Tag:
    tag = Tag.objects.filter(merchant=access.merchant, pk=tag_id).first()
    if tag is None:
        raise NotFound("tag_not_found", _("Tag not found."))
    return tag
