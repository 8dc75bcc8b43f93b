"""Reads of stored value: balances, ledgers, plans, liability and settlement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.core.time import day_bounds
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store

from .models import RechargePlan, WalletAccount, WalletEntry


def recharged_total_fen(*, member: Member) -> int:
    return WalletAccount.objects.filter(member=member).values_list("recharged_total_fen", flat=True).first() or 0


def wallet_entries(*, merchant_id: int, member: Member) -> QuerySet[WalletEntry]:
    return WalletEntry.objects.filter(merchant_id=merchant_id, member=member)


def plan_list(*, access: Access, active: bool | None = None) -> QuerySet[RechargePlan]:
    plans = RechargePlan.objects.filter(merchant=access.merchant).prefetch_related("stores")
    if active is not None:
        plans = plans.filter(is_active=active)
    return plans.order_by("sort_order", "pay_fen", "id")


def plans_for_store(*, access: Access, store: Store) -> list[RechargePlan]:
    """Active plans usable in ``store`` (all-store plans and those naming it)."""
    return [p for p in plan_list(access=access, active=True)
            if not p.stores.all() or any(s.pk == store.pk for s in p.stores.all())]


def plan_get(*, access: Access, plan_id: int) -> RechargePlan:
    plan = RechargePlan.objects.filter(merchant=access.merchant, pk=plan_id).first()
    if plan is None:
        raise NotFound("plan_not_found", _("Recharge plan not found."))
    return plan


@dataclass(frozen=True)
class LiabilityRow:
    store: Store
    principal_fen: int
    bonus_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


def liability_by_store(*, access: Access) -> list[LiabilityRow]:
    """Outstanding stored value (本金 and 赠送金) by the store where it was recharged."""
    access.require("wallet.reports")
    sums: dict[int, list[int]] = {}
    funded = WalletAccount.objects.filter(merchant=access.merchant).exclude(principal_fen=0, bonus_fen=0)
    for pools in funded.values_list("pools", flat=True).iterator(5000):
        for store_id, (principal, bonus) in pools.items():
            total = sums.setdefault(int(store_id), [0, 0])
            total[0] += principal
            total[1] += bonus
    if access.store_ids is not None:
        sums = {store_id: total for store_id, total in sums.items() if store_id in access.store_ids}
    stores = Store.objects.filter(merchant=access.merchant, pk__in=sums).order_by("code")
    return [LiabilityRow(store=s, principal_fen=sums[s.pk][0], bonus_fen=sums[s.pk][1]) for s in stores]


@dataclass(frozen=True)
class SettlementRow:
    recharge_store: Store
    spend_store: Store
    principal_fen: int
    bonus_fen: int


def settlement(*, access: Access, date_from: date, date_to: date) -> list[SettlementRow]:
    """Stored value recharged in one store and spent (net of refunds) in another, in a period of local days.

    Principal is what the spending store owes the recharging store (赠送金 is shown for information).
    """
    access.require("wallet.reports")
    if date_to < date_from:
        raise InvalidInput("invalid_period", _("The period ends before it starts."), field="date_to")
    start, _end = day_bounds(date_from, access.merchant.timezone)
    _start, end = day_bounds(date_to, access.merchant.timezone)
    entries = WalletEntry.objects.filter(merchant=access.merchant, created_at__gte=start, created_at__lt=end,
                                         reason__in=(WalletEntry.Reason.SPEND, WalletEntry.Reason.REFUND))
    flows: dict[tuple[int, int], list[int]] = {}
    for spend_store, parts in entries.values_list("store_id", "parts").iterator(5000):
        for pool_store, principal, bonus in parts:
            if pool_store == spend_store:
                continue
            if access.store_ids is not None and pool_store not in access.store_ids \
                    and spend_store not in access.store_ids:
                continue
            flow = flows.setdefault((pool_store, spend_store), [0, 0])
            flow[0] -= principal
            flow[1] -= bonus
    stores = {s.pk: s for s in Store.objects.filter(merchant=access.merchant)}
    result = [SettlementRow(recharge_store=stores[pool_store], spend_store=stores[spend_store],
                            principal_fen=principal, bonus_fen=bonus)
              for (pool_store, spend_store), (principal, bonus) in flows.items()]
    return sorted([r for r in result if r.principal_fen or r.bonus_fen],
                  key=lambda r: (r.recharge_store.code, r.spend_store.code))

