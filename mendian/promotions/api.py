"""REST endpoints of coupons: templates, issuing, issue runs, gift packs, members' coupons, claims."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.errors import InvalidInput, NotFound
from mendian.core.pagination import paginate
from mendian.members import selectors as member_selectors
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import campaigns, coupons, issuing, results, selectors
from .models import Coupon, CouponTemplate, GiftPack, Promotion
from .schemas import (
    ClaimIn,
    CouponOut,
    GiftPackIn,
    GiftPackOut,
    IssueIn,
    IssueOut,
    IssueRunIn,
    IssueRunOut,
    PromotionIn,
    PromotionOut,
    PromotionPatch,
    PromotionStoreIn,
    ResultsOut,
    StatusIn,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
)

router = Router(tags=["coupons"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def template_out(template: CouponTemplate) -> dict[str, Any]:
    out = {name: getattr(template, name) for name in TemplateOut.model_fields if name not in ("id", "issued")}
    stock = getattr(template, "stock", None)
    return out | {"id": template.pk, "issued": stock.issued if stock else 0}


def coupon_out(coupon: Coupon) -> dict[str, Any]:
    return {
        "id": coupon.pk, "template_id": coupon.template_id, "member_id": coupon.member_id,
        "name": coupon.template.name, "kind": coupon.template.kind, "status": selectors.coupon_status(coupon),
        "code": coupon.code, "valid_from": coupon.valid_from, "valid_until": coupon.valid_until,
        "issued_at": coupon.issued_at, "used_at": coupon.used_at, "order_id": coupon.order_id,
        "discount_fen": coupon.discount_fen,
    }


def run_out(run: Any) -> dict[str, Any]:
    return {"id": run.pk, "template_id": run.template_id, "gift_pack_id": run.gift_pack_id, "target": run.target,
            "status": run.status, "members_total": run.members_total, "issued": run.issued,
            "skipped": run.skipped or {}, "failure": run.failure, "progress": issuing.issue_run_progress(run),
            "created_at": run.created_at, "finished_at": run.finished_at}


def pack_out(pack: GiftPack) -> dict[str, Any]:
    return {"id": pack.pk, "name": pack.name, "is_active": pack.is_active,
            "items": [{"template_id": i.template_id, "quantity": i.quantity} for i in pack.items.order_by("id")]}


@router.get("/coupon-templates", response={200: page_of(TemplateOut), **ERRORS})
def templates_list(request: HttpRequest, params: Query[ListParams], status: str | None = None):
    page = paginate(selectors.template_list(access=_access(request), status=status), cursor=params.cursor,
                    limit=params.limit, order=("-id",))
    return {"items": [template_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/coupon-templates", response={201: TemplateOut, **ERRORS})
@decorate_view(api_write)
def templates_create(request: HttpRequest, payload: TemplateIn) -> Status:
    fields = {k: v for k, v in payload.model_dump().items() if v is not None}
    template = coupons.template_create(access=_access(request), **fields)
    return Status(201, template_out(selectors.template_get(access=_access(request), template_id=template.pk)))


@router.get("/coupon-templates/{int:template_id}", response={200: TemplateOut, **ERRORS})
def templates_get(request: HttpRequest, template_id: int) -> dict[str, Any]:
    return template_out(selectors.template_get(access=_access(request), template_id=template_id))


@router.patch("/coupon-templates/{int:template_id}", response={200: TemplateOut, **ERRORS})
@decorate_view(api_write)
def templates_update(request: HttpRequest, template_id: int, payload: TemplatePatch) -> dict[str, Any]:
    access = _access(request)
    template = selectors.template_get(access=access, template_id=template_id)
    coupons.template_update(access=access, template=template, **payload.model_dump(exclude_unset=True))
    return template_out(selectors.template_get(access=access, template_id=template_id))


@router.post("/coupon-templates/{int:template_id}/status", response={200: TemplateOut, **ERRORS})
@decorate_view(api_write)
def templates_status(request: HttpRequest, template_id: int, payload: StatusIn) -> dict[str, Any]:
    access = _access(request)
    template = selectors.template_get(access=access, template_id=template_id)
    return template_out(coupons.template_set_status(access=access, template=template, status=payload.status))


@router.post("/coupon-templates/{int:template_id}/issue", response={201: IssueOut, **ERRORS})
@decorate_view(api_write)
def templates_issue(request: HttpRequest, template_id: int, payload: IssueIn) -> Status:
    """Issue to a list of members at once: the coupons made, and who was left out (their limit, the stock)."""
    access = _access(request)
    template = selectors.template_get(access=access, template_id=template_id)
    result = coupons.coupons_issue_now(access=access, template=template, member_ids=payload.member_ids)
    made = Coupon.objects.filter(pk__in=result.coupon_ids).select_related("template").order_by("id")
    return Status(201, {"items": [coupon_out(c) for c in made], "skipped": result.skipped})


@router.get("/members/{int:member_id}/coupons", response={200: page_of(CouponOut), **ERRORS})
def member_coupons(request: HttpRequest, member_id: int, params: Query[ListParams], status: str | None = None):
    access = _access(request)
    if status not in (None, "unused", "used", "expired", "void"):
        raise InvalidInput("invalid_status", _("Status is unused, used, expired or void."), field="status")
    member = member_selectors.member_get(access=access, member_id=member_id)
    found = selectors.member_coupons(merchant_id=access.merchant.pk, member_id=member.pk, status=status)
    page = paginate(found, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [coupon_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/coupons/by-code/{code}", response={200: CouponOut, **ERRORS})
def coupon_by_code(request: HttpRequest, code: str) -> dict[str, Any]:
    """The coupon with this redeem code (核销码), for the counter: then sell to its member with its id."""
    access = _access(request)
    access.require("pos.sell")
    coupon = Coupon.objects.filter(merchant=access.merchant, code=code.replace(" ", "")).select_related(
        "template").first()
    if coupon is None:
        raise NotFound("coupon_not_found", _("No coupon has this code."))
    return coupon_out(coupon)


@router.post("/members/{int:member_id}/coupons/claim", response={201: CouponOut, **ERRORS})
@decorate_view(api_write)
def member_claim(request: HttpRequest, member_id: int, payload: ClaimIn) -> Status:
    """Claim a coupon of the claim centre for the member (409 beyond the stock or their limit)."""
    access = _access(request)
    access.require("coupons.issue")
    member = member_selectors.member_get(access=access, member_id=member_id)
    template = CouponTemplate.objects.filter(merchant=access.merchant, pk=payload.template_id).first()
    if template is None:
        raise NotFound("coupon_template_not_found", _("Coupon not found."), field="template_id")
    coupon = coupons.coupon_claim(merchant=access.merchant, member=member, template=template)
    return Status(201, coupon_out(coupon))


@router.post("/coupon-issue-runs", response={202: IssueRunOut, **ERRORS})
@decorate_view(api_write)
def issue_runs_create(request: HttpRequest, payload: IssueRunIn) -> Status:
    """Issue a coupon or a gift pack to chosen members or a filter of the member list, in the background."""
    access = _access(request)
    template = selectors.template_get(access=access, template_id=payload.template_id) \
        if payload.template_id is not None else None
    pack = selectors.gift_pack_get(access=access, pack_id=payload.gift_pack_id) \
        if payload.gift_pack_id is not None else None
    run = issuing.issue_run_create(access=access, target=payload.target, template=template, gift_pack=pack,
                                   member_ids=payload.member_ids, filters=payload.filters,
                                   segment_id=payload.segment_id)
    return Status(202, run_out(run))


@router.get("/coupon-issue-runs/{int:run_id}", response={200: IssueRunOut, **ERRORS})
def issue_runs_get(request: HttpRequest, run_id: int) -> dict[str, Any]:
    return run_out(selectors.issue_run_get(access=_access(request), run_id=run_id))


@router.get("/gift-packs", response={200: list[GiftPackOut], **ERRORS})
def gift_packs_list(request: HttpRequest) -> list[dict[str, Any]]:
    access = _access(request)
    access.require("coupons.view")
    return [pack_out(p) for p in GiftPack.objects.filter(merchant=access.merchant).order_by("-id")]


@router.post("/gift-packs", response={201: GiftPackOut, **ERRORS})
@decorate_view(api_write)
def gift_packs_create(request: HttpRequest, payload: GiftPackIn) -> Status:
    pack = issuing.gift_pack_save(access=_access(request), name=payload.name, is_active=payload.is_active,
                                  items=[(i.template_id, i.quantity) for i in payload.items])
    return Status(201, pack_out(pack))


@router.put("/gift-packs/{int:pack_id}", response={200: GiftPackOut, **ERRORS})
@decorate_view(api_write)
def gift_packs_update(request: HttpRequest, pack_id: int, payload: GiftPackIn) -> dict[str, Any]:
    access = _access(request)
    pack = selectors.gift_pack_get(access=access, pack_id=pack_id)
    pack = issuing.gift_pack_save(access=access, pack=pack, name=payload.name, is_active=payload.is_active,
                                  items=[(i.template_id, i.quantity) for i in payload.items])
    return pack_out(pack)



# --- promotions -------------------------------------------------------------------------------
def promotion_out(promotion: Promotion) -> dict[str, Any]:
    out = {name: getattr(promotion, name) for name in PromotionOut.model_fields
           if name not in ("id", "spent_fen", "uses")}
    spend = getattr(promotion, "spend", None)
    return out | {"id": promotion.pk, "spent_fen": spend.spent_fen if spend else 0, "uses": spend.uses if spend else 0}


def _promotion(access: Access, promotion_id: int) -> Promotion:
    access.require("coupons.view")
    promotion = Promotion.objects.filter(merchant=access.merchant, pk=promotion_id).select_related("spend").first()
    if promotion is None:
        raise NotFound("promotion_not_found", _("Promotion not found."))
    return promotion


@router.get("/promotions", response={200: page_of(PromotionOut), **ERRORS}, tags=["promotions"])
def promotions_list(request: HttpRequest, params: Query[ListParams], kind: str | None = None):
    access = _access(request)
    access.require("coupons.view")
    found = Promotion.objects.filter(merchant=access.merchant).select_related("spend")
    if kind:
        found = found.filter(kind=kind)
    page = paginate(found, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [promotion_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/promotions", response={201: PromotionOut, **ERRORS}, tags=["promotions"])
@decorate_view(api_write)
def promotions_create(request: HttpRequest, payload: PromotionIn) -> Status:
    access = _access(request)
    promotion = campaigns.promotion_save(access=access, **payload.model_dump(exclude_unset=True))
    return Status(201, promotion_out(_promotion(access, promotion.pk)))


@router.get("/promotions/{int:promotion_id}", response={200: PromotionOut, **ERRORS}, tags=["promotions"])
def promotions_get(request: HttpRequest, promotion_id: int) -> dict[str, Any]:
    return promotion_out(_promotion(_access(request), promotion_id))


@router.patch("/promotions/{int:promotion_id}", response={200: PromotionOut, **ERRORS}, tags=["promotions"])
@decorate_view(api_write)
def promotions_update(request: HttpRequest, promotion_id: int, payload: PromotionPatch) -> dict[str, Any]:
    access = _access(request)
    promotion = _promotion(access, promotion_id)
    campaigns.promotion_save(access=access, promotion=promotion, **payload.model_dump(exclude_unset=True))
    return promotion_out(_promotion(access, promotion_id))


@router.post("/promotions/{int:promotion_id}/status", response={200: PromotionOut, **ERRORS}, tags=["promotions"])
@decorate_view(api_write)
def promotions_status(request: HttpRequest, promotion_id: int, payload: StatusIn) -> dict[str, Any]:
    access = _access(request)
    campaigns.promotion_set_status(access=access, promotion=_promotion(access, promotion_id), status=payload.status)
    return promotion_out(_promotion(access, promotion_id))


@router.put("/promotions/{int:promotion_id}/stores/{int:store_id}", response={200: dict, **ERRORS},
            tags=["promotions"])
@decorate_view(api_write)
def promotions_store(request: HttpRequest, promotion_id: int, store_id: int,
                     payload: PromotionStoreIn) -> dict[str, Any]:
    """A store takes part in a pushed promotion (or leaves it), at its own percent within head office's limits."""
    access = _access(request)
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    row = campaigns.promotion_store_set(access=access, promotion=_promotion(access, promotion_id), store=store,
                                        enabled=payload.enabled, percent=payload.percent)
    return {"promotion_id": row.promotion_id, "store_id": row.store_id, "enabled": row.enabled,
            "percent": row.percent}


@router.get("/promotions/{int:promotion_id}/results", response={200: ResultsOut, **ERRORS}, tags=["promotions"])
def promotions_results(request: HttpRequest, promotion_id: int, date_from: date | None = None,
                       date_to: date | None = None) -> dict[str, Any]:
    """Results over a period of local days (default: the last 30)."""
    access = _access(request)
    date_from, date_to = _default_period(access, date_from, date_to)
    return results.promotion_results(access=access, promotion=_promotion(access, promotion_id),
                                     date_from=date_from, date_to=date_to)


@router.get("/coupon-templates/{int:template_id}/results", response={200: ResultsOut, **ERRORS})
def templates_results(request: HttpRequest, template_id: int, date_from: date | None = None,
                      date_to: date | None = None) -> dict[str, Any]:
    """Results over a period of local days (default: the last 30)."""
    access = _access(request)
    date_from, date_to = _default_period(access, date_from, date_to)
    return results.coupon_results(access=access, template=selectors.template_get(access=access,
                                                                                 template_id=template_id),
                                  date_from=date_from, date_to=date_to)


def _default_period(access: Access, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    from datetime import timedelta

    from mendian.core.time import local_today

    date_to = date_to or local_today(access.merchant.timezone)
    return date_from or date_to - timedelta(days=29), date_to
