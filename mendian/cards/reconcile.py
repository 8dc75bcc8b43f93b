"""Proof that every card balance equals its ledger (``manage.py check_ledgers``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import BigIntegerField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from mendian.core.reconcile import ledger_total

from .models import CardBalance, CardUse


def card_balance_differences(merchant_id: int | None = None) -> Iterator[str]:
    """Balances whose uses left differ from the sum of their entries, or whose uses made differ from the
    uses less the uses given back."""
    balances = CardBalance.objects.all()
    if merchant_id:
        balances = balances.filter(card__merchant_id=merchant_id)
    used = (CardUse.objects.filter(balance=OuterRef("pk"), kind__in=[CardUse.Kind.USE, CardUse.Kind.REVERSE])
            .order_by().values("balance").annotate(total=Sum("delta")).values("total"))
    balances = balances.annotate(ledger=ledger_total(CardUse, "balance", "delta"),
                                 used_ledger=Coalesce(Subquery(used, output_field=BigIntegerField()), Value(0)))
    wrong = balances.filter((Q(uses_left__isnull=False) & ~Q(uses_left=F("ledger")))
                            | ~Q(used=-F("used_ledger")))
    for b in wrong.iterator(2000):
        yield (f"card balance {b.pk} (card {b.card_id}, product {b.product_id}): uses left {b.uses_left} / "
               f"entries {b.ledger}; used {b.used} / entries {-b.used_ledger}")


LEDGER_CHECKS = (card_balance_differences,)
