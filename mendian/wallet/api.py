"""REST endpoints of stored value: plans, recharge, ledger, recharge refunds, liability and settlement."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.errors import NotFound
from mendian.core.pagination import paginate
from mendian.members import selectors as member_selectors
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import selectors, services
from .models import Recharge, RechargePlan, WalletAccount, WalletEntry
from .schemas import (
    LiabilityOut,
    PlanIn,
    PlanOut,
    RechargeIn,
    RechargeOut,
    RechargeRefundIn,
    RechargeRefundOut,
    RechargeResult,
    SettlementOut,
    WalletEntryOut,
)

router = Router(tags=["stored value"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def plan_out(plan: RechargePlan) -> dict[str, Any]:
    return {"id": plan.pk, "name": plan.name, "pay_fen": plan.pay_fen, "bonus_fen": plan.bonus_fen,
            "store_ids": sorted(s.pk for s in plan.stores.all()), "is_active": plan.is_active,
            "sort_order": plan.sort_order}


@router.get("/wallet/recharge-plans", response={200: list[PlanOut], **ERRORS})
def plans_list(request: HttpRequest, store_id: int | None = None) -> list[dict[str, Any]]:
    """Plans on offer; with ``store_id``, those usable in that store."""
    access = _access(request)
    if store_id is not None:
        store = tenancy_selectors.store_get(access=access, store_id=store_id)
        return [plan_out(p) for p in selectors.plans_for_store(access=access, store=store)]
    return [plan_out(p) for p in selectors.plan_list(access=access)]


@router.post("/wallet/recharge-plans", response={201: PlanOut, **ERRORS})
@decorate_view(api_write)
def plans_create(request: HttpRequest, payload: PlanIn) -> Status:
    plan = services.plan_save(access=_access(request), name=payload.name, pay_fen=payload.pay_fen,
                              bonus_fen=payload.bonus_fen, store_ids=payload.store_ids or [],
                              is_active=payload.is_active, sort_order=payload.sort_order)
    return Status(201, plan_out(plan))


@router.put("/wallet/recharge-plans/{int:plan_id}", response={200: PlanOut, **ERRORS})
@decorate_view(api_write)
def plans_update(request: HttpRequest, plan_id: int, payload: PlanIn) -> dict[str, Any]:
    access = _access(request)
    plan = selectors.plan_get(access=access, plan_id=plan_id)
    plan = services.plan_save(access=access, plan=plan, name=payload.name, pay_fen=payload.pay_fen,
                              bonus_fen=payload.bonus_fen, store_ids=payload.store_ids or [],
                              is_active=payload.is_active, sort_order=payload.sort_order)
    return plan_out(plan)


@router.post("/members/{int:member_id}/recharge", response={201: RechargeResult, **ERRORS})
@decorate_view(api_write)
def member_recharge(request: HttpRequest, member_id: int, payload: RechargeIn) -> Status:
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    store = tenancy_selectors.store_get(access=access, store_id=payload.store_id)
    plan = selectors.plan_get(access=access, plan_id=payload.plan_id) if payload.plan_id else None
    recharge, entry = services.wallet_recharge(access=access, member=member, store=store, pay_fen=payload.pay_fen,
                                               payment_method=payload.payment_method, plan=plan)
    return Status(201, {"member_id": member.pk, "recharge_id": recharge.pk, "principal_fen": entry.principal_after_fen,
                        "bonus_fen": entry.bonus_after_fen,
                        "balance_fen": entry.principal_after_fen + entry.bonus_after_fen, "entry_id": entry.pk})


def wallet_entry_out(entry: WalletEntry) -> dict[str, Any]:
    return {"id": entry.pk, "delta": entry.delta_fen,
            "balance_after": entry.principal_after_fen + entry.bonus_after_fen,
            "principal_delta_fen": entry.principal_delta_fen, "bonus_delta_fen": entry.bonus_delta_fen,
            "principal_after_fen": entry.principal_after_fen, "bonus_after_fen": entry.bonus_after_fen,
            "reason": entry.reason, "ref_type": entry.ref_type, "ref_id": entry.ref_id, "store_id": entry.store_id,
            "staff_id": entry.staff_id, "note": entry.note, "created_at": entry.created_at}


@router.get("/members/{int:member_id}/wallet-ledger", response={200: page_of(WalletEntryOut), **ERRORS})
def wallet_ledger(request: HttpRequest, member_id: int, params: Query[ListParams]):
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    entries = selectors.wallet_entries(merchant_id=access.merchant.pk, member=member)
    page = paginate(entries, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [wallet_entry_out(e) for e in page.items], "next_cursor": page.next_cursor}


def recharge_out(recharge: Recharge) -> dict[str, Any]:
    return {name: getattr(recharge, name) for name in RechargeOut.model_fields} | {"id": recharge.pk}


@router.get("/members/{int:member_id}/recharges", response={200: page_of(RechargeOut), **ERRORS})
def member_recharges(request: HttpRequest, member_id: int, params: Query[ListParams]):
    access = _access(request)
    member = member_selectors.member_get(access=access, member_id=member_id)
    page = paginate(Recharge.objects.filter(merchant=access.merchant, member=member), cursor=params.cursor,
                    limit=params.limit, order=("-id",))
    return {"items": [recharge_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/recharges/{int:recharge_id}/refund", response={200: RechargeRefundOut, **ERRORS})
@decorate_view(api_write)
def recharge_refund(request: HttpRequest, recharge_id: int, payload: RechargeRefundIn) -> dict[str, Any]:
    """Refund what is left of a recharge's principal; the matching bonus is forfeited."""
    access = _access(request)
    recharge = Recharge.objects.filter(merchant=access.merchant, pk=recharge_id).select_related("member",
                                                                                                  "store").first()
    if recharge is None or not access.sees_store(recharge.store_id):
        raise NotFound("recharge_not_found", _("Recharge not found."))
    entry = services.wallet_refund_recharge(access=access, recharge=recharge, reason=payload.reason)
    account = WalletAccount.objects.get(pk=entry.account_id)
    return {"recharge_id": recharge.pk, "refund_fen": -entry.principal_delta_fen,
            "bonus_forfeited_fen": -entry.bonus_delta_fen, "entry_id": entry.pk,
            "principal_fen": account.principal_fen, "bonus_fen": account.bonus_fen,
            "balance_fen": account.balance_fen}


@router.get("/reports/stored-value/liability", response={200: LiabilityOut, **ERRORS})
def liability(request: HttpRequest) -> dict[str, Any]:
    """Outstanding stored value by the store where it was recharged (储值负债)."""
    rows = selectors.liability_by_store(access=_access(request))
    return {"rows": [{"store_id": r.store.pk, "store_name": r.store.name, "principal_fen": r.principal_fen,
                      "bonus_fen": r.bonus_fen, "total_fen": r.total_fen} for r in rows],
            "principal_fen": sum(r.principal_fen for r in rows), "bonus_fen": sum(r.bonus_fen for r in rows),
            "total_fen": sum(r.total_fen for r in rows)}


@router.get("/reports/stored-value/settlement", response={200: SettlementOut, **ERRORS})
def settlement(request: HttpRequest, date_from: date, date_to: date) -> dict[str, Any]:
    """Stored value recharged in one store and spent in another, per local-date period (跨店结算)."""
    rows = selectors.settlement(access=_access(request), date_from=date_from, date_to=date_to)
    return {"date_from": date_from, "date_to": date_to,
            "rows": [{"recharge_store_id": r.recharge_store.pk, "spend_store_id": r.spend_store.pk,
                      "principal_fen": r.principal_fen, "bonus_fen": r.bonus_fen} for r in rows]}
