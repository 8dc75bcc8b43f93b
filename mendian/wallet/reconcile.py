"""Proof that stored-value balances equal their ledgers (``manage.py check_ledgers``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Q

from mendian.core.reconcile import ledger_total

from .models import WalletAccount, WalletEntry


def wallet_differences(merchant_id: int | None = None) -> Iterator[str]:
    """Accounts whose principal or bonus differs from their entries, whose per-store pools differ from
    their entries' parts or from the balance, and entries whose parts do not add up to them."""
    accounts = WalletAccount.objects.all()
    entries = WalletEntry.objects.all()
    if merchant_id:
        accounts, entries = accounts.filter(merchant_id=merchant_id), entries.filter(merchant_id=merchant_id)
    ledgers = accounts.annotate(
        principal_ledger=ledger_total(WalletEntry, "account", "principal_delta_fen"),
        bonus_ledger=ledger_total(WalletEntry, "account", "bonus_delta_fen"),
    )
    for a in ledgers.filter(~Q(principal_fen=F("principal_ledger")) | ~Q(bonus_fen=F("bonus_ledger"))).iterator(2000):
        yield (f"wallet account {a.pk} (member {a.member_id}): principal {a.principal_fen} / entries "
               f"{a.principal_ledger}; bonus {a.bonus_fen} / entries {a.bonus_ledger}")
    # Pools: accounts and their entries walked side by side in account order (memory stays flat).
    rows = entries.order_by("account_id", "id").values_list("account_id", "id", "principal_delta_fen",
                                                            "bonus_delta_fen", "parts").iterator(5000)
    pending = next(rows, None)
    for account_id, principal, bonus, pools in accounts.order_by("id").values_list(
            "id", "principal_fen", "bonus_fen", "pools").iterator(5000):
        expected: dict[str, list[int]] = {}
        while pending is not None and pending[0] <= account_id:
            _account, entry_id, entry_principal, entry_bonus, parts = pending
            if sum(p for _s, p, _b in parts) != entry_principal or sum(b for _s, _p, b in parts) != entry_bonus:
                yield f"wallet entry {entry_id}: parts {parts} do not add up to {entry_principal}/{entry_bonus}"
            if _account == account_id:
                for store_id, part_principal, part_bonus in parts:
                    pool = expected.setdefault(str(store_id), [0, 0])
                    pool[0] += part_principal
                    pool[1] += part_bonus
            pending = next(rows, None)
        expected = {store: pool for store, pool in expected.items() if pool != [0, 0]}
        if {store: list(pool) for store, pool in pools.items()} != expected:
            yield f"wallet account {account_id}: pools {pools}, entries' parts give {expected}"
        if sum(p for p, _b in pools.values()) != principal or sum(b for _p, b in pools.values()) != bonus:
            yield f"wallet account {account_id}: pools {pools} do not add up to {principal}/{bonus}"


LEDGER_CHECKS = (wallet_differences,)
