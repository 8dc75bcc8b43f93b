"""Every change of stored value. Checkout calls ``wallet_spend`` and ``wallet_refund_spend``.

Balances change only through ``_apply``, on an account locked for the transaction: one update of its
balances and per-store pools (never below zero), and one append-only ledger entry with its per-pool
parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.db import fetch_joined
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.money import allocate, div_half_up
from mendian.core.validation import required_text
from mendian.loyalty.models import LoyaltyAccount
from mendian.loyalty.services import level_upgrade
from mendian.members.models import Member
from mendian.promotions.campaigns import promotions_spend, recharge_bonus, running_promotions
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .errors import InsufficientBalance
from .models import RECHARGE_METHODS, Recharge, RechargePlan, WalletAccount, WalletEntry

MAX_RECHARGE_FEN = 10_000_000_00  # ¥10 million in one recharge is a typing mistake


@dataclass(frozen=True)
class Part:
    """A change of one store's pool: money recharged in ``store_id``."""

    store_id: int
    principal_fen: int
    bonus_fen: int


def wallet_open(*, member: Member) -> WalletAccount:
    return WalletAccount.objects.create(merchant_id=member.merchant_id, member=member)


@dataclass(frozen=True)
class MemberAccounts:
    member: Member
    loyalty: LoyaltyAccount
    wallet: WalletAccount


def member_accounts_lock(*, merchant_id: int, member_id: int) -> MemberAccounts | None:
    """The member with their points and stored-value accounts, the three rows locked until the end of
    the transaction, in one statement. Every change that touches more than one of them (checkout,
    refunds, recharges) locks them here first, so they are always taken in the same order."""
    return _member_accounts(merchant_id, member_id, lock=True)


def member_accounts_read(*, merchant_id: int, member_id: int) -> MemberAccounts | None:
    """The same read without the locks (quotes)."""
    return _member_accounts(merchant_id, member_id, lock=False)


def _member_accounts(merchant_id: int, member_id: int, *, lock: bool) -> MemberAccounts | None:
    rows = fetch_joined(
        [(Member, "m"), (LoyaltyAccount, "l"), (WalletAccount, "w")],
        f"FROM {Member._meta.db_table} m JOIN {LoyaltyAccount._meta.db_table} l ON l.member_id = m.id "
        f"JOIN {WalletAccount._meta.db_table} w ON w.member_id = m.id WHERE m.merchant_id = %s AND m.id = %s",
        [merchant_id, member_id], lock=lock)
    if not rows:
        return None
    member, loyalty, wallet = rows[0]
    loyalty.member = wallet.member = member
    return MemberAccounts(member, loyalty, wallet)  # type: ignore[arg-type]


def _lock(member: Member) -> WalletAccount:
    return WalletAccount.objects.select_for_update().get(member=member)


def _apply(*, account: WalletAccount, member: Member, store: Store, staff: Staff | None, reason: str,
           parts: Sequence[Part], ref_type: str = "", ref_id: int | None = None, note: str = "",
           when: datetime | None = None, recharged_fen: int = 0) -> WalletEntry:
    """Move money on a locked account: balances and pools in one update, one ledger entry.

    The update also checks the balances it read, so a caller that forgot the lock fails loudly
    instead of losing a concurrent change.
    """
    parts = [p for p in parts if p.principal_fen or p.bonus_fen]
    principal = sum(p.principal_fen for p in parts)
    bonus = sum(p.bonus_fen for p in parts)
    new_principal, new_bonus = account.principal_fen + principal, account.bonus_fen + bonus
    if new_principal < 0 or new_bonus < 0:
        raise InsufficientBalance(detail={"principal_fen": principal, "bonus_fen": bonus})
    pools = dict(account.pools)
    for part in parts:
        pool_principal, pool_bonus = account.pool(part.store_id)
        pool_principal, pool_bonus = pool_principal + part.principal_fen, pool_bonus + part.bonus_fen
        if pool_principal < 0 or pool_bonus < 0:
            raise RuntimeError(f"wallet account {account.pk}: store {part.store_id}'s pool would go below zero")
        if pool_principal or pool_bonus:
            pools[str(part.store_id)] = [pool_principal, pool_bonus]
        else:
            pools.pop(str(part.store_id), None)
    changed = WalletAccount.objects.filter(
        pk=account.pk, principal_fen=account.principal_fen, bonus_fen=account.bonus_fen,
    ).update(principal_fen=new_principal, bonus_fen=new_bonus, pools=pools,
             recharged_total_fen=account.recharged_total_fen + recharged_fen)
    if changed != 1:
        raise RuntimeError(f"wallet account {account.pk} changed under an unlocked writer")
    account.principal_fen, account.bonus_fen, account.pools = new_principal, new_bonus, pools
    account.recharged_total_fen += recharged_fen
    return WalletEntry.objects.create(
        merchant_id=account.merchant_id, account=account, member=member, principal_delta_fen=principal,
        bonus_delta_fen=bonus, principal_after_fen=new_principal, bonus_after_fen=new_bonus,
        reason=reason, ref_type=ref_type, ref_id=ref_id, store=store, staff=staff, note=note[:200],
        parts=[[p.store_id, p.principal_fen, p.bonus_fen] for p in parts], created_at=when or timezone.now(),
    )


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
        locked = member_accounts_lock(merchant_id=access.merchant.pk, member_id=member.pk)
        account = locked.wallet
        # 充值送: a running recharge-bonus promotion adds to the plan's bonus (and spends its budget).
        promotion, extra = recharge_bonus(running=running_promotions(merchant_id=access.merchant.pk,
                                                                     generation=access.generation()),
                                          store=store, pay_fen=pay_fen, now=when)
        if promotion is not None:
            bonus_fen += extra
            promotions_spend(spends={promotion.pk: extra},
                             budgets={promotion.pk: promotion.budget_fen} if promotion.budget_fen else {})
        recharge = Recharge.objects.create(
            merchant=access.merchant, member=member, account=account, store=store, plan=plan, pay_fen=pay_fen,
            bonus_fen=bonus_fen, payment_method=payment_method, staff=access.staff, created_at=when,
            promotion=promotion, promotion_bonus_fen=extra,
        )
        entry = _apply(account=account, member=member, store=store, staff=access.staff,
                       reason=WalletEntry.Reason.RECHARGE, parts=[Part(store.pk, pay_fen, bonus_fen)],
                       ref_type="recharge", ref_id=recharge.pk, when=when, recharged_fen=pay_fen)
        audit_record(merchant=access.merchant, actor=access, action="wallet.recharged", target=member, store=store,
                     changes={"pay_fen": pay_fen, "bonus_fen": bonus_fen, "payment_method": payment_method,
                              "plan": plan.name if plan else None})
        level_upgrade(member=locked.member, account=locked.loyalty, recharged_total_fen=account.recharged_total_fen)
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


def _take_from_pools(account: WalletAccount, store_id: int, principal: int, bonus: int) -> list[Part]:
    """The spending store's own pool first, then the others by store."""
    ordered = sorted((int(key) for key in account.pools), key=lambda pool_store: (pool_store != store_id, pool_store))
    parts = []
    for pool_store in ordered:
        pool_principal, pool_bonus = account.pool(pool_store)
        take_p, take_b = min(principal, pool_principal), min(bonus, pool_bonus)
        if take_p or take_b:
            parts.append(Part(pool_store, -take_p, -take_b))
        principal, bonus = principal - take_p, bonus - take_b
    if principal or bonus:
        raise RuntimeError("wallet pools hold less than the account")
    return parts


def wallet_spend(*, member: Member, store: Store, amount_fen: int, staff: Staff | None = None,
                 ref_type: str = "", ref_id: int | None = None, when: datetime | None = None,
                 account: WalletAccount | None = None) -> WalletEntry:
    """Pay ``amount_fen`` with stored value (inside the caller's transaction); 409 when the balance is short.

    Pass ``account`` when the caller already holds its lock (``member_accounts_lock``).
    """
    _check_amount(amount_fen, "amount_fen")
    account = account or _lock(member)
    principal, bonus = split_spend(amount_fen=amount_fen, principal_fen=account.principal_fen,
                                   bonus_fen=account.bonus_fen)
    parts = _take_from_pools(account, store.pk, principal, bonus)
    return _apply(account=account, member=member, store=store, staff=staff, reason=WalletEntry.Reason.SPEND,
                  parts=parts, ref_type=ref_type, ref_id=ref_id, when=when)


def wallet_refund_spend(*, spend: WalletEntry, principal_fen: int, bonus_fen: int, store: Store,
                        staff: Staff | None = None, ref_type: str = "", ref_id: int | None = None,
                        when: datetime | None = None, account: WalletAccount | None = None) -> WalletEntry:
    """Put back part of a spend, each part to the pools it came from (inside the caller's transaction)."""
    if spend.reason != WalletEntry.Reason.SPEND:
        raise ValueError("only spends are refunded")
    if principal_fen > -spend.principal_delta_fen or bonus_fen > -spend.bonus_delta_fen:
        raise Conflict("refund_exceeds_spend", _("This refund is larger than what was paid."))
    principal_split = allocate(principal_fen, [-p for _store, p, _b in spend.parts])
    bonus_split = allocate(bonus_fen, [-b for _store, _p, b in spend.parts])
    parts = [Part(pool_store, principal_split[i], bonus_split[i]) for i, (pool_store, _p, _b) in enumerate(spend.parts)]
    if account is None:
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
        pool_principal, pool_bonus = account.pool(recharge.store_id)
        refundable = min(recharge.pay_fen - recharge.refunded_principal_fen, pool_principal)
        if refundable <= 0:
            raise Conflict("nothing_to_refund", _("Nothing of this recharge is left to refund."))
        forfeit = min(div_half_up(refundable * recharge.bonus_fen, recharge.pay_fen), pool_bonus,
                      recharge.bonus_fen - recharge.forfeited_bonus_fen)
        entry = _apply(account=account, member=recharge.member, store=recharge.store, staff=access.staff,
                       reason=WalletEntry.Reason.RECHARGE_REFUND,
                       parts=[Part(recharge.store_id, -refundable, -forfeit)], ref_type="recharge",
                       ref_id=recharge.pk, note=reason, recharged_fen=-refundable)
        Recharge.objects.filter(pk=recharge.pk).update(refunded_principal_fen=recharge.refunded_principal_fen
                                                       + refundable,
                                                       forfeited_bonus_fen=recharge.forfeited_bonus_fen + forfeit)
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
