"""Proof that points balances equal their ledgers (``manage.py check_ledgers``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Q

from mendian.core.reconcile import ledger_total

from .models import LoyaltyAccount, PointsEntry, PointsLot, PointsLotUse


def points_differences(merchant_id: int | None = None) -> Iterator[str]:
    """One line per account whose balance differs from its entries or its lots, and per broken lot."""
    accounts = LoyaltyAccount.objects.all()
    lots = PointsLot.objects.all()
    if merchant_id:
        accounts, lots = accounts.filter(merchant_id=merchant_id), lots.filter(merchant_id=merchant_id)
    accounts = accounts.annotate(ledger=ledger_total(PointsEntry, "account", "delta"),
                                 lots_left=ledger_total(PointsLot, "account", "remaining"))
    for account in accounts.filter(~Q(points=F("ledger")) | ~Q(lots_left=F("ledger"))).iterator(2000):
        yield (f"points account {account.pk} (member {account.member_id}): balance {account.points}, "
               f"entries sum {account.ledger}, lots hold {account.lots_left}")
    lots = lots.annotate(used=ledger_total(PointsLotUse, "lot", "points"))
    for lot in lots.exclude(remaining=F("points") - F("used")).iterator(2000):
        yield f"points lot {lot.pk}: {lot.points} points, {lot.used} used, {lot.remaining} left"


LEDGER_CHECKS = (points_differences,)
