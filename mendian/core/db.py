"""Hand-written reads the ORM cannot express in one statement, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Model


def fetch_joined(models: Sequence[tuple[type[Model], str]], tail: str, params: Sequence[object], *,
                 lock: bool = False) -> list[tuple[Model, ...]]:
    """Rows of several models read by one hand-written join: ``tail`` is the ``FROM … WHERE …`` using the
    given aliases. Values pass through the same converters as the ORM's. ``lock`` adds ``FOR UPDATE``
    (every joined row locked) where the database has it; SQLite serialises writers anyway."""
    quote = connection.ops.quote_name
    layout = []
    columns = []
    for model, alias in models:
        fields = model._meta.concrete_fields
        layout.append((model, fields))
        columns += [f"{alias}.{quote(field.column)}" for field in fields]
    sql = f"SELECT {', '.join(columns)} {tail}"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = [[_converters(field) for field in fields] for _model, fields in layout]
    result = []
    for row in rows:
        instances = []
        offset = 0
        for (model, fields), field_converters in zip(layout, converters, strict=True):
            values = list(row[offset:offset + len(fields)])
            for index, (column, chain) in enumerate(field_converters):
                for convert in chain:
                    values[index] = convert(values[index], column, connection)
            instances.append(model.from_db(connection.alias, [f.attname for f in fields], values))
            offset += len(fields)
        result.append(tuple(instances))
    return result


def _converters(field: Field) -> tuple[object, list]:
    column = field.get_col(field.model._meta.db_table)
    return column, [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)]


_memo: ContextVar[dict[Any, Any] | None] = ContextVar("analytic_memo", default=None)


@contextmanager
def analytic_queries(work_mem_mb: int = 64) -> Iterator[None]:
    """A transaction for big read-only aggregates (segments, RFM, reports): on PostgreSQL, enough memory
    per sort and hash for them not to spill to disk (``work_mem`` for this transaction only), and a memo
    (``analytic_memo``) so that one page asking the same question twice asks the database once."""
    token = _memo.set({}) if _memo.get() is None else None
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL work_mem = '{int(work_mem_mb)}MB'")
            yield
    finally:
        if token is not None:
            _memo.reset(token)


def analytic_memo() -> dict[Any, Any] | None:
    """The memo of the ``analytic_queries`` block running now (None outside one)."""
    return _memo.get()
