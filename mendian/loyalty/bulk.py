"""Loyalty accounts for many members at once (member import, scale demo): accounts, imported points
as ``import`` entries in their lot, in bulk inserts. The same ledger rules as ``points_change``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mendian.core.bulk import Reserve, Table

from .models import LoyaltyAccount, PointsEntry

ACCOUNT_COLUMNS = ("id", "merchant_id", "member_id", "level_id", "level_changed_at", "points", "points_earned_total",
                   "lots", "next_expiry_on")
ENTRY_COLUMNS = ("merchant_id", "account_id", "member_id", "delta", "balance_after", "reason", "ref_type", "ref_id",
                 "note", "store_id", "staff_id", "operation_key", "lots", "created_at")


@dataclass(frozen=True)
class OpeningPoints:
    member_id: int
    level_id: int | None
    points: int
    store_id: int


def opening_tables(*, merchant_id: int, rows: Sequence[OpeningPoints], when: datetime, today: date,
                   expire_after_days: int | None, staff_id: int | None,
                   reserve: Reserve) -> list[Table]:
    """The accounts and their opening entries as rows, with ids from ``reserve`` (a worker process makes
    them for an import)."""
    expires_on = today + timedelta(days=expire_after_days) if expire_after_days else None
    key = expires_on.isoformat() if expires_on else None

    # The one lot's JSON written out directly (a date's ISO text and an integer need no escaping): a million
    # json.dumps calls are seconds of an import's helper process.
    opening = f'[[{json.dumps(key)}, ' + '{}]]'
    lots = [opening.format(int(r.points)) if r.points > 0 else "[]" for r in rows]
    account_ids = reserve(LoyaltyAccount, len(rows))
    accounts = [(aid, merchant_id, r.member_id, r.level_id, when if r.level_id else None, r.points, 0, lot,
                 expires_on if r.points > 0 else None) for aid, r, lot in zip(account_ids, rows, lots, strict=True)]
    entries = [(merchant_id, aid, r.member_id, r.points, r.points, PointsEntry.Reason.IMPORT.value, "import", None,
                "opening balance", r.store_id, staff_id, None, lot, when)
               for aid, r, lot in zip(account_ids, rows, lots, strict=True) if r.points > 0]
    return [Table(LoyaltyAccount, ACCOUNT_COLUMNS, accounts), Table(PointsEntry, ENTRY_COLUMNS, entries)]
