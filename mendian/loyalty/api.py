"""REST endpoints of levels, the points rule and members' points."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.pagination import paginate
from mendian.core.time import local_today
from mendian.members import selectors as member_selectors
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import selectors, services
from .models import Level, PointsEntry, PointsRule
from .schemas import (
    ExpiryOut,
    LedgerEntryOut,
    LevelIn,
    LevelOut,
    LevelPatch,
    LevelSetIn,
    PointsAdjustIn,
    PointsRuleIn,
    PointsRuleOut,
)

router = Router(tags=["levels and points"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def level_out(level: Level) -> dict[str, Any]:
    return {name: getattr(level, name) for name in LevelOut.model_fields} | {"id": level.pk}


def rule_out(rule: PointsRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in PointsRuleOut.model_fields}


@router.get("/levels", response={200: list[LevelOut], **ERRORS})
def levels_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [level_out(level) for level in selectors.level_list(access=_access(request))]


@router.post("/levels", response={201: LevelOut, **ERRORS})
@decorate_view(api_write)
def levels_create(request: HttpRequest, payload: LevelIn) -> Status:
    return Status(201, level_out(services.level_create(access=_access(request), **payload.model_dump())))


@router.patch("/levels/{int:level_id}", response={200: LevelOut, **ERRORS})
@decorate_view(api_write)
def levels_update(request: HttpRequest, level_id: int, payload: LevelPatch) -> dict[str, Any]:
    access = _access(request)
    level = selectors.level_get(access=access, level_id=level_id)
    return level_out(services.level_update(access=access, level=level, **payload.model_dump(exclude_unset=True)))


@router.delete("/levels/{int:level_id}", response={204: None, **ERRORS})
@decorate_view(api_write)
def levels_delete(request: HttpRequest, level_id: int) -> Status:
    access = _access(request)
    services.level_delete(access=access, level=selectors.level_get(access=access, level_id=level_id))
    return Status(204, None)


@router.get("/loyalty/points-rule", response={200: PointsRuleOut, **ERRORS})
def points_rule_get(request: HttpRequest) -> dict[str, Any]:
    return rule_out(services.points_rule_get(merchant=_access(request).merchant))


@router.put("/loyalty/points-rule", response={200: PointsRuleOut, **ERRORS})
@decorate_view(api_write)
def points_rule_put(request: HttpRequest, payload: PointsRuleIn) -> dict[str, Any]:
    return rule_out(services.points_rule_set(access=_access(request), **payload.model_dump()))


def points_entry_out(entry: PointsEntry) -> dict[str, Any]:
    return {"id": entry.pk, "delta": entry.delta, "balance_after": entry.balance_after, "reason": entry.reason,
            "ref_type": entry.ref_type, "ref_id": entry.ref_id, "store_id": entry.store_id,
            "staff_id": entry.staff_id, "note": entry.note, "created_at": entry.created_at}


@router.get("/members/{int:member_id}/points-ledger", response={200: page_of(LedgerEntryOut), **ERRORS})
def points_ledger(request: HttpRequest, member_id: int, params: Query[ListParams]):
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    entries = selectors.points_entries(merchant_id=access.merchant.pk, member=member)
    page = paginate(entries, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [points_entry_out(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get("/members/{int:member_id}/points-expiry", response={200: list[ExpiryOut], **ERRORS})
def points_expiry(request: HttpRequest, member_id: int, days: int = 90) -> list[dict[str, Any]]:
    """Points that expire in the next ``days`` days, by date."""
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    until = local_today(access.merchant.timezone) + timedelta(days=max(1, min(days, 3650)))
    return [{"expires_on": day, "points": points}
            for day, points in selectors.upcoming_expiry(member=member, until=until)]


@router.post("/members/{int:member_id}/points-adjustments", response={201: LedgerEntryOut, **ERRORS})
@decorate_view(api_write)
def points_adjust(request: HttpRequest, member_id: int, payload: PointsAdjustIn) -> Status:
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    store = tenancy_selectors.store_get(access=access, store_id=payload.store_id) if payload.store_id else None
    entry = services.points_adjust(access=access, member=member, delta=payload.delta, note=payload.note, store=store)
    return Status(201, points_entry_out(entry))


@router.post("/members/{int:member_id}/level", response={200: LevelOut, **ERRORS})
@decorate_view(api_write)
def member_level_set(request: HttpRequest, member_id: int, payload: LevelSetIn) -> dict[str, Any]:
    """Change the member's level by hand, with a reason."""
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    level = selectors.level_get(access=access, level_id=payload.level_id)
    services.level_set(access=access, member=member, level=level, reason=payload.reason)
    return level_out(level)
