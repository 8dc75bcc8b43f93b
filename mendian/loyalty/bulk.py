"""Loyalty accounts for many members at once (member import, scale demo): accounts, imported points
as ``import`` entries in their lot, in bulk inserts. The same ledger rules as ``points_change``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mendian.core.bulk import insert_rows, reserve_ids

from .models import LoyaltyAccount, PointsEntry


@dataclass(frozen=True)
class OpeningPoints:
    member_id: int
    level_id: int | None
    points: int
    store_id: int


def bulk_open_accounts(*, merchant_id: int, rows: Sequence[OpeningPoints], when: datetime, today: date,
                       expire_after_days: int | None, staff_id: int | None = None) -> None:
    expires_on = today + timedelta(days=expire_after_days) if expire_after_days else None
    key = expires_on.isoformat() if expires_on else None

    def lots(r: OpeningPoints) -> str:
        return json.dumps([[key, r.points]] if r.points > 0 else [])

    account_ids = reserve_ids(LoyaltyAccount, len(rows))
    insert_rows(LoyaltyAccount, ("id", "merchant_id", "member_id", "level_id", "level_changed_at", "points",
                                 "points_earned_total", "lots", "next_expiry_on"),
                ((aid, merchant_id, r.member_id, r.level_id, when if r.level_id else None, r.points, 0, lots(r),
                  expires_on if r.points > 0 else None)
                 for aid, r in zip(account_ids, rows, strict=True)))
    insert_rows(PointsEntry, ("merchant_id", "account_id", "member_id", "delta", "balance_after", "reason",
                              "ref_type", "ref_id", "note", "store_id", "staff_id", "operation_key", "lots",
                              "created_at"),
                ((merchant_id, aid, r.member_id, r.points, r.points, PointsEntry.Reason.IMPORT, "import", None,
                  "opening balance", r.store_id, staff_id, None, lots(r), when)
                 for aid, r in zip(account_ids, rows, strict=True) if r.points > 0))
