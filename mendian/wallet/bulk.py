"""Stored-value accounts for many members at once (member import, scale demo): opening balances as
``import`` entries with their store pool and parts, in bulk inserts. The same ledger rules as ``_apply``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mendian.core.bulk import insert_rows, reserve_ids

from .models import WalletAccount, WalletEntry, WalletEntryPart, WalletPool


@dataclass(frozen=True)
class OpeningBalance:
    member_id: int
    store_id: int
    principal_fen: int
    bonus_fen: int


def bulk_open_accounts(*, merchant_id: int, rows: Sequence[OpeningBalance], when: datetime,
                       staff_id: int | None = None) -> None:
    account_ids = reserve_ids(WalletAccount, len(rows))
    insert_rows(WalletAccount, ("id", "merchant_id", "member_id", "principal_fen", "bonus_fen", "recharged_total_fen"),
                ((aid, merchant_id, r.member_id, r.principal_fen, r.bonus_fen, 0)
                 for aid, r in zip(account_ids, rows, strict=True)))
    funded = [(aid, r) for aid, r in zip(account_ids, rows, strict=True) if r.principal_fen or r.bonus_fen]
    insert_rows(WalletPool, ("merchant_id", "account_id", "store_id", "principal_fen", "bonus_fen"),
                ((merchant_id, aid, r.store_id, r.principal_fen, r.bonus_fen) for aid, r in funded))
    entry_ids = reserve_ids(WalletEntry, len(funded))
    insert_rows(WalletEntry, ("id", "merchant_id", "account_id", "member_id", "principal_delta_fen", "bonus_delta_fen",
                              "principal_after_fen", "bonus_after_fen", "reason", "ref_type", "ref_id", "store_id",
                              "staff_id", "note", "created_at"),
                ((eid, merchant_id, aid, r.member_id, r.principal_fen, r.bonus_fen, r.principal_fen, r.bonus_fen,
                  WalletEntry.Reason.IMPORT, "import", None, r.store_id, staff_id, "opening balance", when)
                 for eid, (aid, r) in zip(entry_ids, funded, strict=True)))
    insert_rows(WalletEntryPart, ("entry_id", "pool_store_id", "principal_delta_fen", "bonus_delta_fen"),
                ((eid, r.store_id, r.principal_fen, r.bonus_fen) for eid, (_aid, r) in zip(entry_ids, funded,
                                                                                             strict=True)))
