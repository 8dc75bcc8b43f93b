"""A helper for proving balances against ledgers in one query per table."""

from __future__ import annotations

from django.db.models import BigIntegerField, Model, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def ledger_total(model: type[Model], fk: str, field: str) -> Coalesce:
    """``SUM(model.field)`` of the rows whose ``fk`` is the outer row, as an annotation (0 when none)."""
    rows = (model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
            .annotate(total=Sum(field)).values("total"))
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), Value(0))
