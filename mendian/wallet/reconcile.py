"""Proof that stored-value balances equal their ledgers (``manage.py check_ledgers``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Q

from mendian.core.reconcile import ledger_total

from .models import WalletAccount, WalletEntry, WalletEntryPart, WalletPool


def wallet_differences(merchant_id: int | None = None) -> Iterator[str]:
    """Accounts whose principal or bonus differs from their entries or their pools, and entries whose
    per-pool parts do not add up to them."""
    accounts = WalletAccount.objects.all()
    entries = WalletEntry.objects.all()
    if merchant_id:
        accounts, entries = accounts.filter(merchant_id=merchant_id), entries.filter(merchant_id=merchant_id)
    accounts = accounts.annotate(
        principal_ledger=ledger_total(WalletEntry, "account", "principal_delta_fen"),
        bonus_ledger=ledger_total(WalletEntry, "account", "bonus_delta_fen"),
        principal_pools=ledger_total(WalletPool, "account", "principal_fen"),
        bonus_pools=ledger_total(WalletPool, "account", "bonus_fen"),
    )
    differs = (~Q(principal_fen=F("principal_ledger")) | ~Q(bonus_fen=F("bonus_ledger"))
               | ~Q(principal_fen=F("principal_pools")) | ~Q(bonus_fen=F("bonus_pools")))
    for a in accounts.filter(differs).iterator(2000):
        yield (f"wallet account {a.pk} (member {a.member_id}): principal {a.principal_fen} / entries "
               f"{a.principal_ledger} / pools {a.principal_pools}; bonus {a.bonus_fen} / entries {a.bonus_ledger}"
               f" / pools {a.bonus_pools}")
    entries = entries.annotate(principal_parts=ledger_total(WalletEntryPart, "entry", "principal_delta_fen"),
                               bonus_parts=ledger_total(WalletEntryPart, "entry", "bonus_delta_fen"))
    for e in entries.filter(~Q(principal_delta_fen=F("principal_parts")) | ~Q(bonus_delta_fen=F("bonus_parts"))
                            ).iterator(2000):
        yield f"wallet entry {e.pk}: parts add up to {e.principal_parts}/{e.bonus_parts}, not " \
              f"{e.principal_delta_fen}/{e.bonus_delta_fen}"


LEDGER_CHECKS = (wallet_differences,)
