"""Proof that points balances equal their ledgers (``manage.py check_ledgers``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Q

from mendian.core.reconcile import ledger_total

from .models import LoyaltyAccount, PointsEntry


def points_differences(merchant_id: int | None = None) -> Iterator[str]:
    """One line per account whose balance differs from its entries or its lots, whose lots differ from
    its entries' lot movements, and per entry whose lot movements do not add up to it."""
    accounts = LoyaltyAccount.objects.all()
    entries = PointsEntry.objects.all()
    if merchant_id:
        accounts, entries = accounts.filter(merchant_id=merchant_id), entries.filter(merchant_id=merchant_id)
    ledgers = accounts.annotate(ledger=ledger_total(PointsEntry, "account", "delta"))
    for account in ledgers.filter(~Q(points=F("ledger"))).iterator(2000):
        yield (f"points account {account.pk} (member {account.member_id}): balance {account.points}, "
               f"entries sum {account.ledger}")
    # Lots: accounts and their entries walked side by side in account order (memory stays flat).
    rows = entries.order_by("account_id", "id").values_list("account_id", "id", "delta", "lots").iterator(5000)
    pending = next(rows, None)
    for account_id, points, lots, next_expiry in accounts.order_by("id").values_list(
            "id", "points", "lots", "next_expiry_on").iterator(5000):
        expected: dict[str | None, int] = {}
        while pending is not None and pending[0] <= account_id:
            entry_account, entry_id, delta, moved = pending
            if sum(n for _key, n in moved) != delta:
                yield f"points entry {entry_id}: lot movements {moved} do not add up to {delta}"
            if entry_account == account_id:
                for key, n in moved:
                    expected[key] = expected.get(key, 0) + n
            pending = next(rows, None)
        held = {key: n for key, n in lots}
        if held != {key: n for key, n in expected.items() if n}:
            yield f"points account {account_id}: lots {lots}, entries give {expected}"
        if sum(held.values()) != points or any(n <= 0 for n in held.values()):
            yield f"points account {account_id}: lots {lots} do not hold its {points} points"
        first = lots[0][0] if lots else None
        if (next_expiry.isoformat() if next_expiry else None) != first:
            yield f"points account {account_id}: next expiry {next_expiry}, lots say {first}"


LEDGER_CHECKS = (points_differences,)
