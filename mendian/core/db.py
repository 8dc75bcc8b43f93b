"""Guarded balance updates in one statement, on SQLite and PostgreSQL alike.

``UPDATE … SET balance = balance + %s WHERE id = %s AND balance + %s >= 0 RETURNING balance``: the
guard lives in the ``WHERE``, so concurrent requests never lose an update or go below zero, and the
new values come back without a second query (ARCHITECTURE.md rule 2).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection
from django.db.models import Model


def guarded_add(model: type[Model], pk: int, deltas: Mapping[str, int],
                not_below_zero: tuple[str, ...] = ()) -> dict[str, int] | None:
    """Add ``deltas`` to the row's columns; None (nothing changed) when a guarded column would go below zero."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = {name: connection.ops.quote_name(model._meta.get_field(name).column) for name in deltas}
    assignments = ", ".join(f"{columns[name]} = {columns[name]} + %s" for name in deltas)
    guards = "".join(f" AND {columns[name]} + %s >= 0" for name in not_below_zero)
    returning = ", ".join(columns[name] for name in deltas)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s{guards} RETURNING {returning}"
    params = [*deltas.values(), pk, *(deltas[name] for name in not_below_zero)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip(deltas, row, strict=True))
