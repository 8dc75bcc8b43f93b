"""REST endpoints of segments, rule tags, RFM and the reports (API.md "Segments, RFM and reports")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.db import analytic_queries
from mendian.core.pagination import paginate
from mendian.members.api import member_out
from mendian.members.schemas import MemberOut
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import reports, rfm, segments
from .conditions import FIELDS
from .models import Segment, TagRule

router = Router(tags=["segments and reports"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class DefinitionIn(Schema):
    match: Any = "all"
    conditions: Any = Field(default_factory=list)

    def definition(self) -> dict[str, Any]:
        return {"match": self.match, "conditions": self.conditions}


class SegmentIn(DefinitionIn):
    name: Any = None
    description: str = Field("", max_length=200)


class SegmentPatch(Schema):
    name: Any = None
    description: str | None = Field(None, max_length=200)
    match: Any = None
    conditions: Any = None


class CountOut(Schema):
    count: int


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    match: str
    conditions: list[Any]
    count: int
    counted_at: datetime | None


class FieldOut(Schema):
    field: str
    label: str
    kind: str
    ops: list[str]
    needs_days: bool
    choices: list[str]


class TagRuleIn(DefinitionIn):
    name: Any = None


class TagRuleOut(Schema):
    id: int
    tag_id: int
    name: str
    preset: str
    match: str
    conditions: list[Any]
    count: int
    last_run_at: datetime | None


class RfmGroupOut(Schema):
    code: str
    name: str
    count: int
    spend_fen: int


class RfmCellOut(Schema):
    r: int
    f: int
    count: int
    spend_fen: int


class RfmOut(Schema):
    groups: list[RfmGroupOut]
    grid: list[list[RfmCellOut]]
    scored_at: datetime | None
    scored_members: int


class RfmRunOut(Schema):
    scored_members: int


class SummaryOut(Schema):
    date_from: date
    date_to: date
    sales_fen: int
    refunds_fen: int
    net_sales_fen: int
    orders: int
    member_orders: int
    member_sales_fen: int
    average_ticket_fen: int
    new_members: int
    recharge_principal_fen: int
    recharge_bonus_fen: int
    stored_value_spent_fen: int
    points_earned: int
    points_redeemed: int
    coupon_discount_fen: int
    by_payment_method: dict[str, int]


class PeriodParams(Schema):
    date_from: date | None = None
    date_to: date | None = None
    store_id: int | None = None


def segment_out(segment: Segment) -> dict[str, Any]:
    return {"id": segment.pk, "name": segment.name, "description": segment.description,
            "match": segment.definition.get("match", "all"), "conditions": segment.definition.get("conditions", []),
            "count": segment.member_count, "counted_at": segment.counted_at}


def tag_rule_out(rule: TagRule) -> dict[str, Any]:
    return {"id": rule.pk, "tag_id": rule.tag_id, "name": rule.tag.name, "preset": rule.preset,
            "match": rule.definition.get("match", "all"), "conditions": rule.definition.get("conditions", []),
            "count": rule.member_count, "last_run_at": rule.last_run_at}


@router.get("/segments/fields", response={200: list[FieldOut], **ERRORS})
def segment_fields(request: HttpRequest) -> list[dict[str, Any]]:
    """The fields a condition can use, with their operators (custom fields are ``custom.<key>``)."""
    _access(request).require("segments.view")
    return [{"field": f.name, "label": str(f.label), "kind": f.kind, "ops": list(f.ops), "needs_days": f.behaviour,
             "choices": list(f.choices)} for f in FIELDS.values()]


@router.post("/segments/preview", response={200: CountOut, **ERRORS})
@decorate_view(api_write)
def segments_preview(request: HttpRequest, payload: DefinitionIn) -> dict[str, int]:
    return {"count": segments.segment_preview(access=_access(request), definition=payload.definition())}


@router.post("/segments", response={201: SegmentOut, **ERRORS})
@decorate_view(api_write)
def segments_create(request: HttpRequest, payload: SegmentIn):
    segment = segments.segment_save(access=_access(request), name=payload.name, definition=payload.definition(),
                                    description=payload.description)
    return Status(201, segment_out(segment))


@router.get("/segments", response={200: page_of(SegmentOut), **ERRORS})
def segments_list(request: HttpRequest, params: Query[ListParams]):
    access = _access(request)
    access.require("segments.view")
    page = paginate(Segment.objects.filter(merchant=access.merchant), cursor=params.cursor, limit=params.limit,
                    order=("-id",))
    return {"items": [segment_out(s) for s in page.items], "next_cursor": page.next_cursor}


@router.get("/segments/{int:segment_id}", response={200: SegmentOut, **ERRORS})
def segments_get(request: HttpRequest, segment_id: int):
    """The segment, counted now."""
    access = _access(request)
    segment = segments.segment_get(access=access, segment_id=segment_id)
    return segment_out(segments.segment_recount(access=access, segment=segment))


@router.patch("/segments/{int:segment_id}", response={200: SegmentOut, **ERRORS})
@decorate_view(api_write)
def segments_patch(request: HttpRequest, segment_id: int, payload: SegmentPatch):
    access = _access(request)
    segment = segments.segment_get(access=access, segment_id=segment_id)
    definition = {"match": payload.match if payload.match is not None else segment.definition.get("match", "all"),
                  "conditions": payload.conditions if payload.conditions is not None
                  else segment.definition.get("conditions", [])}
    segment = segments.segment_save(access=access, segment=segment, definition=definition,
                                    name=payload.name if payload.name is not None else segment.name,
                                    description=payload.description if payload.description is not None
                                    else segment.description)
    return segment_out(segment)


@router.delete("/segments/{int:segment_id}", response={204: None, **ERRORS})
@decorate_view(api_write)
def segments_delete(request: HttpRequest, segment_id: int):
    access = _access(request)
    segments.segment_delete(access=access, segment=segments.segment_get(access=access, segment_id=segment_id))
    return Status(204, None)


@router.get("/segments/{int:segment_id}/members", response={200: page_of(MemberOut), **ERRORS})
def segments_members(request: HttpRequest, segment_id: int, params: Query[ListParams]):
    access = _access(request)
    access.require("members.view")
    segment = segments.segment_get(access=access, segment_id=segment_id)
    members = segments.segment_members(access=access, segment=segment).select_related(
        "loyalty", "loyalty__level", "wallet", "registered_store")
    page = paginate(members, cursor=params.cursor, limit=params.limit, order=("id",))
    return {"items": [member_out(m, access) for m in page.items], "next_cursor": page.next_cursor}


@router.get("/tag-rules", response={200: list[TagRuleOut], **ERRORS})
def tag_rules_list(request: HttpRequest):
    access = _access(request)
    access.require("segments.view")
    return [tag_rule_out(r) for r in TagRule.objects.filter(merchant=access.merchant).select_related("tag")
            .order_by("tag__name")]


@router.post("/tag-rules", response={201: TagRuleOut, **ERRORS})
@decorate_view(api_write)
def tag_rules_create(request: HttpRequest, payload: TagRuleIn):
    rule = segments.tag_rule_save(access=_access(request), name=payload.name, definition=payload.definition())
    return Status(201, tag_rule_out(rule))


@router.post("/tag-rules/{int:rule_id}/run", response={200: TagRuleOut, **ERRORS})
@decorate_view(api_write)
def tag_rules_run(request: HttpRequest, rule_id: int):
    """Recompute the tag's members now."""
    access = _access(request)
    rule = segments.tag_rule_get(access=access, rule_id=rule_id)
    access.require("segments.manage")
    return tag_rule_out(segments.tag_rule_run(rule=rule))


@router.get("/reports/rfm", response={200: RfmOut, **ERRORS})
def reports_rfm(request: HttpRequest):
    report = rfm.rfm_report(access=_access(request))
    return {"groups": report.groups, "grid": report.grid, "scored_at": report.scored_at,
            "scored_members": report.scored_members}


@router.post("/reports/rfm/recompute", response={200: RfmRunOut, **ERRORS})
@decorate_view(api_write)
def reports_rfm_recompute(request: HttpRequest):
    """Score every member now (the nightly run does it too)."""
    return {"scored_members": rfm.rfm_run(access=_access(request))}


@router.get("/reports/summary", response={200: SummaryOut, **ERRORS})
def reports_summary(request: HttpRequest, params: Query[PeriodParams]):
    access = _access(request)
    access.require("reports.view")
    period = reports.period_of(access, params.date_from, params.date_to)
    with analytic_queries():
        return reports.summary(access=access, period=period, stores=reports.stores_in_view(access, params.store_id))
