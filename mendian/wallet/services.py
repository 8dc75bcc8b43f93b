"""Every change of stored value. Checkout calls ``wallet_spend`` and ``wallet_refund_spend``.

Balances change only through ``_apply``: one guarded update of the account (never below zero), the
matching change of the per-store pools, and one append-only ledger entry with its per-pool parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.db import guarded_add
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.money import allocate, div_half_up
from mendian.core.validation import required_text
from mendian.loyalty.services import level_upgrade
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .errors import InsufficientBalance
from .models import RECHARGE_METHODS, Recharge, RechargePlan, WalletAccount, WalletEntry, WalletEntryPart, WalletPool

MAX_RECHARGE_FEN = 10_000_000_00  # ¥10 million in one recharge is a typing mistake


@dataclass(frozen=True)
class Part:
    """A change of one store's pool: money recharged in ``store_id``."""

    store_id: int
    principal_fen: int
    bonus_fen: int


def wallet_open(*, member: Member) -> WalletAccount:
    return WalletAccount.objects.create(merchant_id=member.merchant_id, member=member)


def _pool(account: WalletAccount, store_id: int) -> WalletPool:
    pool = WalletPool.objects.filter(account=account, store_id=store_id).first()
    if pool is not None:
        return pool
    try:
        with transaction.atomic():
            return WalletPool.objects.create(merchant_id=account.merchant_id, account=account, store_id=store_id)
    except IntegrityError:
        return WalletPool.objects.get(account=account, store_id=store_id)


def _apply(*, account: WalletAccount, member: Member, store: Store, staff: Staff | None, reason: str,
           parts: Sequence[Part], ref_type: str = "", ref_id: int | None = None, note: str = "",
           when: datetime | None = None) -> WalletEntry:
    principal = sum(p.principal_fen for p in parts)
    bonus = sum(p.bonus_fen for p in parts)
    updated = guarded_add(WalletAccount, account.pk, {"principal_fen": principal, "bonus_fen": bonus},
                          not_below_zero=("principal_fen", "bonus_fen"))
    if updated is None:
        raise InsufficientBalance(detail={"principal_fen": principal, "bonus_fen": bonus})
    for part in parts:
        if not (part.principal_fen or part.bonus_fen):
            continue
        pool = _pool(account, part.store_id)
        if guarded_add(WalletPool, pool.pk, {"principal_fen": part.principal_fen, "bonus_fen": part.bonus_fen},
                       not_below_zero=("principal_fen", "bonus_fen")) is None:
            raise RuntimeError(f"wallet pool {pool.pk} would go below zero")
    account.principal_fen, account.bonus_fen = updated["principal_fen"], updated["bonus_fen"]
    entry = WalletEntry.objects.create(
        merchant_id=account.merchant_id, account=account, member=member, principal_delta_fen=principal,
        bonus_delta_fen=bonus, principal_after_fen=updated["principal_fen"], bonus_after_fen=updated["bonus_fen"],
        reason=reason, ref_type=ref_type, ref_id=ref_id, store=store, staff=staff, note=note[:200],
        created_at=when or timezone.now(),
    )
    WalletEntryPart.objects.bulk_create([
        WalletEntryPart(entry=entry, pool_store_id=p.store_id, principal_delta_fen=p.principal_fen,
                        bonus_delta_fen=p.bonus_fen)
        for p in parts if p.principal_fen or p.bonus_fen
    ])
    return entry


def _check_amount(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("invalid_amount", _("Amounts are whole numbers of fen."), field=field)
    if value <= 0:
        raise InvalidInput("invalid_amount", _("The amount must be above zero."), field=field)
    if value > MAX_RECHARGE_FEN:
        raise InvalidInput("invalid_amount", _("This amount is out of range."), field=field)
    return value


def wallet_recharge(*, access: Access, member: Member, store: Store, pay_fen: int, payment_method: str,
                    plan: RechargePlan | None = None, when: datetime | None = None) -> tuple[Recharge, WalletEntry]:
    """Top up: with a plan the member pays its ``pay_fen`` and gets its bonus; without, any amount."""
    access.require("wallet.recharge")
    access.require_store(store.pk)
    pay_fen = _check_amount(pay_fen, "pay_fen")
    if payment_method not in RECHARGE_METHODS:
        raise InvalidInput("invalid_payment_method", _("Recharges are paid in cash, WeChat Pay, Alipay or by card."),
                           field="payment_method")
    if member.merchant_id != access.merchant.pk or store.merchant_id != access.merchant.pk:
        raise InvalidInput("invalid_reference", _("Member and store must belong to this merchant."))
    bonus_fen = 0
    if plan is not None:
        if not plan.is_active:
            raise Conflict("plan_inactive", _("This recharge plan is no longer offered."), field="plan_id")
        plan_stores = [s.pk for s in plan.stores.all()]
        if plan_stores and store.pk not in plan_stores:
            raise InvalidInput("plan_not_valid_here", _("This recharge plan is not offered in this store."),
                               field="plan_id")
        if pay_fen != plan.pay_fen:
            raise InvalidInput("plan_amount_mismatch", _("The amount must be the plan's amount."), field="pay_fen",
                               detail={"plan_pay_fen": plan.pay_fen})
        bonus_fen = plan.bonus_fen
    when = when or timezone.now()
    with transaction.atomic():
        account = WalletAccount.objects.select_for_update().get(member=member)
        recharge = Recharge.objects.create(
            merchant=access.merchant, member=member, account=account, store=store, plan=plan, pay_fen=pay_fen,
            bonus_fen=bonus_fen, payment_method=payment_method, staff=access.staff, created_at=when,
        )
        entry = _apply(account=account, member=member, store=store, staff=access.staff,
                       reason=WalletEntry.Reason.RECHARGE, parts=[Part(store.pk, pay_fen, bonus_fen)],
                       ref_type="recharge", ref_id=recharge.pk, when=when)
        guarded_add(WalletAccount, account.pk, {"recharged_total_fen": pay_fen})
        audit_record(merchant=access.merchant, actor=access, action="wallet.recharged", target=member, store=store,
                     changes={"pay_fen": pay_fen, "bonus_fen": bonus_fen, "payment_method": payment_method,
                              "plan": plan.name if plan else None})
        level_upgrade(member=member)
    return recharge, entry


def split_spend(*, amount_fen: int, principal_fen: int, bonus_fen: int) -> tuple[int, int]:
    """API.md rule 6: the bonus part is ``amount × bonus / (principal + bonus)`` half-up; principal the rest."""
    total = principal_fen + bonus_fen
    if amount_fen > total:
        raise InsufficientBalance(detail={"balance_fen": total, "amount_fen": amount_fen})
    bonus_part = div_half_up(amount_fen * bonus_fen, total) if total else 0
    principal_part = amount_fen - bonus_part
    # Rounding can ask one fen more of a part than it holds; the other part gives it.
    if principal_part > principal_fen:
        principal_part, bonus_part = principal_fen, amount_fen - principal_fen
    if bonus_part > bonus_fen:
        principal_part, bonus_part = amount_fen - bonus_fen, bonus_fen
    return principal_part, bonus_part


def _take_from_pools(pools: list[WalletPool], store_id: int, principal: int, bonus: int) -> list[Part]:
    """The spending store's own pool first, then the others in a fixed order."""
    ordered = sorted(pools, key=lambda p: (p.store_id != store_id, p.pk))
    parts = []
    for pool in ordered:
        take_p, take_b = min(principal, pool.principal_fen), min(bonus, pool.bonus_fen)
        if take_p or take_b:
            parts.append(Part(pool.store_id, -take_p, -take_b))
        principal, bonus = principal - take_p, bonus - take_b
    if principal or bonus:
        raise RuntimeError("wallet pools hold less than the account")
    return parts


def wallet_spend(*, member: Member, store: Store, amount_fen: int, staff: Staff | None = None,
                 ref_type: str = "", ref_id: int | None = None, when: datetime | None = None) -> WalletEntry:
    """Pay ``amount_fen`` with stored value (inside the caller's transaction); 409 when the balance is short."""
    _check_amount(amount_fen, "amount_fen")
    account = WalletAccount.objects.select_for_update().get(member=member)
    principal, bonus = split_spend(amount_fen=amount_fen, principal_fen=account.principal_fen,
                                   bonus_fen=account.bonus_fen)
    pools = list(WalletPool.objects.filter(Q(principal_fen__gt=0) | Q(bonus_fen__gt=0), account=account))
    parts = _take_from_pools(pools, store.pk, principal, bonus)
    return _apply(account=account, member=member, store=store, staff=staff, reason=WalletEntry.Reason.SPEND,
                  parts=parts, ref_type=ref_type, ref_id=ref_id, when=when)


def wallet_refund_spend(*, spend: WalletEntry, principal_fen: int, bonus_fen: int, store: Store,
                        staff: Staff | None = None, ref_type: str = "", ref_id: int | None = None,
                        when: datetime | None = None) -> WalletEntry:
    """Put back part of a spend, each part to the pools it came from (inside the caller's transaction)."""
    if spend.reason != WalletEntry.Reason.SPEND:
        raise ValueError("only spends are refunded")
    if principal_fen > -spend.principal_delta_fen or bonus_fen > -spend.bonus_delta_fen:
        raise Conflict("refund_exceeds_spend", _("This refund is larger than what was paid."))
    spend_parts = list(spend.parts.order_by("id"))
    principal_split = allocate(principal_fen, [-p.principal_delta_fen for p in spend_parts])
    bonus_split = allocate(bonus_fen, [-p.bonus_delta_fen for p in spend_parts])
    parts = [Part(p.pool_store_id, principal_split[i], bonus_split[i]) for i, p in enumerate(spend_parts)]
    account = WalletAccount.objects.select_for_update().get(pk=spend.account_id)
    return _apply(account=account, member=spend.member, store=store, staff=staff, reason=WalletEntry.Reason.REFUND,
                  parts=parts, ref_type=ref_type, ref_id=ref_id, when=when)


def wallet_refund_recharge(*, access: Access, recharge: Recharge, reason: str) -> WalletEntry:
    """Refund a recharge's unspent principal (still in its store's pool), forfeiting the matching bonus.

    The member is paid back ``-entry.principal_delta_fen`` by the recharge's payment method.
    """
    access.require("wallet.refund")
    access.require_store(recharge.store_id)
    reason = required_text(reason, field="reason", message=_("Give a reason."), max_length=200)
    with transaction.atomic():
        account = WalletAccount.objects.select_for_update().get(pk=recharge.account_id)
        recharge = Recharge.objects.select_for_update().get(pk=recharge.pk)
        pool = WalletPool.objects.filter(account=account, store_id=recharge.store_id).first()
        refundable = min(recharge.pay_fen - recharge.refunded_principal_fen, pool.principal_fen if pool else 0)
        if refundable <= 0:
            raise Conflict("nothing_to_refund", _("Nothing of this recharge is left to refund."))
        forfeit = min(div_half_up(refundable * recharge.bonus_fen, recharge.pay_fen), pool.bonus_fen,
                      recharge.bonus_fen - recharge.forfeited_bonus_fen)
        entry = _apply(account=account, member=recharge.member, store=recharge.store, staff=access.staff,
                       reason=WalletEntry.Reason.RECHARGE_REFUND,
                       parts=[Part(recharge.store_id, -refundable, -forfeit)], ref_type="recharge",
                       ref_id=recharge.pk, note=reason)
        Recharge.objects.filter(pk=recharge.pk).update(refunded_principal_fen=recharge.refunded_principal_fen
                                                       + refundable,
                                                       forfeited_bonus_fen=recharge.forfeited_bonus_fen + forfeit)
        guarded_add(WalletAccount, account.pk, {"recharged_total_fen": -refundable})
        audit_record(merchant=access.merchant, actor=access, action="wallet.recharge_refunded",
                     target=recharge.member, store=recharge.store,
                     changes={"recharge_id": recharge.pk, "principal_fen": refundable, "bonus_forfeited_fen": forfeit,
                              "reason": reason})
    return entry


# --- recharge plans -------------------------------------------------------------------------
def plan_save(*, access: Access, plan: RechargePlan | None = None, name: str, pay_fen: int, bonus_fen: int = 0,
              store_ids: Sequence[int] = (), is_active: bool = True, sort_order: int = 0) -> RechargePlan:
    access.require("wallet.settings")
    name = required_text(name, field="name", message=_("Name the plan."), max_length=60)
    pay_fen = _check_amount(pay_fen, "pay_fen")
    if not isinstance(bonus_fen, int) or isinstance(bonus_fen, bool) or not 0 <= bonus_fen <= MAX_RECHARGE_FEN:
        raise InvalidInput("invalid_amount", _("The bonus is a whole number of fen, not negative."),
                           field="bonus_fen")
    stores = list(Store.objects.filter(merchant=access.merchant, pk__in=set(store_ids)))
    if len(stores) != len(set(store_ids)):
        raise NotFound("store_not_found", _("Store not found."), field="store_ids")
    creating = plan is None
    plan = plan or RechargePlan(merchant=access.merchant)
    before = {"name": plan.name, "pay_fen": plan.pay_fen, "bonus_fen": plan.bonus_fen, "is_active": plan.is_active}
    plan.name, plan.pay_fen, plan.bonus_fen = name, pay_fen, bonus_fen
    plan.is_active, plan.sort_order = is_active, sort_order
    with transaction.atomic():
        plan.save()
        plan.stores.set(stores)
        after = {"name": name, "pay_fen": pay_fen, "bonus_fen": bonus_fen, "is_active": is_active,
                 "store_ids": sorted(s.pk for s in stores)}
        audit_record(merchant=access.merchant, actor=access,
                     action="recharge_plan.created" if creating else "recharge_plan.updated", target=plan,
                     changes=after if creating else {k: [before.get(k), v] for k, v in after.items()
                                                     if before.get(k) != v})
    return plan


def wallet_import_opening(*, merchant: Merchant, account: WalletAccount, member: Member, store: Store,
                          principal_fen: int, bonus_fen: int, staff: Staff | None = None) -> WalletEntry:
    """Opening balance of a member brought from another system (an ``import`` entry in the ledger)."""
    return _apply(account=account, member=member, store=store, staff=staff, reason=WalletEntry.Reason.IMPORT,
                  parts=[Part(store.pk, principal_fen, bonus_fen)], ref_type="import", note="opening balance")
