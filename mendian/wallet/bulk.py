"""Stored-value accounts for many members at once (member import, scale demo): opening balances as
``import`` entries in their store's pool, in bulk inserts. The same ledger rules as ``_apply``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mendian.core.bulk import Reserve, Table

from .models import WalletAccount, WalletEntry

ACCOUNT_COLUMNS = ("id", "merchant_id", "member_id", "principal_fen", "bonus_fen", "pools", "recharged_total_fen")
ENTRY_COLUMNS = ("merchant_id", "account_id", "member_id", "principal_delta_fen", "bonus_delta_fen",
                 "principal_after_fen", "bonus_after_fen", "reason", "ref_type", "ref_id", "store_id", "staff_id",
                 "note", "parts", "created_at")


@dataclass(frozen=True)
class OpeningBalance:
    member_id: int
    store_id: int
    principal_fen: int
    bonus_fen: int


def opening_tables(*, merchant_id: int, rows: Sequence[OpeningBalance], when: datetime, staff_id: int | None,
                   reserve: Reserve) -> list[Table]:
    """The accounts and their opening entries as rows, with ids from ``reserve`` (a worker process makes
    them for an import)."""
    account_ids = reserve(WalletAccount, len(rows))

    def pools(r: OpeningBalance) -> str:
        # integers only, written out directly: a million json.dumps calls are seconds of an import
        if not r.principal_fen and not r.bonus_fen:
            return "{}"
        return f'{{"{int(r.store_id)}": [{int(r.principal_fen)}, {int(r.bonus_fen)}]}}'

    accounts = [(aid, merchant_id, r.member_id, r.principal_fen, r.bonus_fen, pools(r), 0)
                for aid, r in zip(account_ids, rows, strict=True)]
    entries = [(merchant_id, aid, r.member_id, r.principal_fen, r.bonus_fen, r.principal_fen, r.bonus_fen,
                WalletEntry.Reason.IMPORT.value, "import", None, r.store_id, staff_id, "opening balance",
                f"[[{int(r.store_id)}, {int(r.principal_fen)}, {int(r.bonus_fen)}]]", when)
               for aid, r in zip(account_ids, rows, strict=True) if r.principal_fen or r.bonus_fen]
    return [Table(WalletAccount, ACCOUNT_COLUMNS, accounts), Table(WalletEntry, ENTRY_COLUMNS, entries)]
