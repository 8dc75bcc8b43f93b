"""Loyalty accounts for many members at once (member import, scale demo): accounts, imported points
as ``import`` entries and lots, in bulk inserts. The same ledger rules as ``points_change``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mendian.core.bulk import insert_rows, reserve_ids

from .models import LoyaltyAccount, PointsEntry, PointsLot


@dataclass(frozen=True)
class OpeningPoints:
    member_id: int
    level_id: int | None
    points: int
    store_id: int


def bulk_open_accounts(*, merchant_id: int, rows: Sequence[OpeningPoints], when: datetime, today: date,
                       expire_after_days: int | None, staff_id: int | None = None) -> None:
    account_ids = reserve_ids(LoyaltyAccount, len(rows))
    insert_rows(LoyaltyAccount, ("id", "merchant_id", "member_id", "level_id", "level_changed_at", "points",
                                 "points_earned_total"),
                ((aid, merchant_id, r.member_id, r.level_id, when if r.level_id else None, r.points, 0)
                 for aid, r in zip(account_ids, rows, strict=True)))
    with_points = [(aid, r) for aid, r in zip(account_ids, rows, strict=True) if r.points > 0]
    entry_ids = reserve_ids(PointsEntry, len(with_points))
    insert_rows(PointsEntry, ("id", "merchant_id", "account_id", "member_id", "delta", "balance_after", "reason",
                              "ref_type", "ref_id", "note", "store_id", "staff_id", "operation_key", "created_at"),
                ((eid, merchant_id, aid, r.member_id, r.points, r.points, PointsEntry.Reason.IMPORT, "import", None,
                  "opening balance", r.store_id, staff_id, None, when)
                 for eid, (aid, r) in zip(entry_ids, with_points, strict=True)))
    expires_on = today + timedelta(days=expire_after_days) if expire_after_days else None
    lot_ids = reserve_ids(PointsLot, len(with_points))
    insert_rows(PointsLot, ("id", "merchant_id", "account_id", "entry_id", "points", "remaining", "earned_on",
                            "expires_on"),
                ((lid, merchant_id, aid, eid, r.points, r.points, today, expires_on)
                 for lid, eid, (aid, r) in zip(lot_ids, entry_ids, with_points, strict=True)))
