"""Base models every domain app builds on."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Lookup
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class MerchantOwned(models.Model):
    """A row that belongs to one merchant. Every query on it is scoped by ``merchant``.

    Each such table has a composite index or unique constraint starting with ``merchant`` (ARCHITECTURE
    rule 4); that index serves the foreign key too, so there is no single-column index on it.
    """

    merchant = models.ForeignKey("tenancy.Merchant", on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        abstract = True


def ledger_merchant() -> models.ForeignKey:
    """The ``merchant`` of high-volume ledger rows (accounts, entries, lots, pools).

    No database constraint: the row's account already carries a checked merchant, services assert the
    two agree, and a bulk import would otherwise pay one more foreign-key check per row.
    """
    return models.ForeignKey("tenancy.Merchant", on_delete=models.PROTECT, related_name="+", db_index=False,
                             db_constraint=False)


class IdSetField(models.Field):
    """A set of ids in one column: an array of bigint on PostgreSQL, a JSON list on SQLite. Read as a
    ``frozenset``; ``__overlaps`` (holds any of the ids given) works on both."""

    description = "A set of ids"

    def db_type(self, connection: Any) -> str:
        return "bigint[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> frozenset[int] | None:
        return self.to_python(value)

    def to_python(self, value: Any) -> frozenset[int] | None:
        if value is None or isinstance(value, frozenset):
            return value
        return frozenset(json.loads(value) if isinstance(value, str) else value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        ids = sorted({int(v) for v in value})
        return ids if connection.vendor == "postgresql" else json.dumps(ids)


class _IdsLookup(Lookup):
    """A lookup against a list of ids passed as one parameter, however many: an array on PostgreSQL, JSON
    on SQLite, each put into its template (``{lhs}`` the column, ``%s`` the ids)."""

    prepare_rhs = False
    postgresql = sqlite = ""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        ids = sorted({int(v) for v in self.rhs})
        if connection.vendor == "postgresql":
            return self.postgresql.format(lhs=lhs), [*params, ids]
        return self.sqlite.format(lhs=lhs), [*params, json.dumps(ids)]


@IdSetField.register_lookup
class Overlaps(_IdsLookup):
    """The set holds at least one of the ids given."""

    lookup_name = "overlaps"
    postgresql = "{lhs} && %s::bigint[]"
    sqlite = ("EXISTS (SELECT 1 FROM json_each({lhs}) held "
              "WHERE held.value IN (SELECT asked.value FROM json_each(%s) asked))")


@models.Field.register_lookup
class Among(_IdsLookup):
    """The value is one of the ids given: ``= ANY(array)`` on PostgreSQL (hashed by the planner, and unlike
    a subquery it keeps a plan parallel), ``json_each`` on SQLite."""

    lookup_name = "among"
    postgresql = "{lhs} = ANY(%s::bigint[])"
    sqlite = "{lhs} IN (SELECT json_each.value FROM json_each(%s))"


models.ForeignObject.register_lookup(Among)  # related fields keep lookups of their own


class IdempotencyRecord(models.Model):
    """The first answer to an API call sent with an ``Idempotency-Key``; replays get it back."""

    merchant = models.ForeignKey("tenancy.Merchant", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.BinaryField()
    content_type = models.CharField(max_length=100, default="application/json")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="idempotency_merchant_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.key}"


class DailyRun(models.Model):
    """That a daily job was enqueued for a merchant's local day: each runs exactly once a day."""

    job = models.CharField(max_length=60)
    merchant = models.ForeignKey("tenancy.Merchant", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "job", "day"], name="dailyrun_once")]

    def __str__(self) -> str:
        return f"{self.job} {self.day}"
