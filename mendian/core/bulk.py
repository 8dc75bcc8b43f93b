"""Bulk inserts with ids known in advance: PostgreSQL ``COPY`` (psycopg 3), ``executemany`` elsewhere.

Imports and the scale demo write hundreds of thousands of linked rows; reserving the ids first lets
every table be written in one pass, with the foreign keys already filled in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Model

_SEQUENCE_NAME = re.compile(r'[A-Za-z0-9_."]+')


def reserve_ids(model: type[Model], count: int, *, cursor: Any = None) -> list[int]:
    """``count`` fresh primary keys for ``model``. Call inside the transaction that inserts them.

    On PostgreSQL the keys come from the table's sequence (``nextval``, so they are ours whatever other
    sessions do), fetched as runs of consecutive numbers rather than one row per key. ``cursor`` is a raw
    psycopg cursor of another connection (a worker process reserving keys that the main connection
    inserts; sequences are not transactional)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    if cursor is not None:
        return _reserve_runs(cursor, table, pk, count)
    with connection.cursor() as django_cursor:
        if connection.vendor == "postgresql":
            return _reserve_runs(django_cursor, table, pk, count)
        # SQLite: the write lock of the surrounding transaction keeps max(id) ours.
        django_cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = django_cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _reserve_runs(cursor: Any, table: str, pk: str, count: int) -> list[int]:
    # The sequence's name written into the statement: nextval(pg_get_serial_sequence(...)) would look the
    # sequence up again for every key, eight times slower.
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
    sequence = cursor.fetchone()[0]
    if not _SEQUENCE_NAME.fullmatch(sequence):
        raise ValueError(f"unexpected sequence name {sequence!r}")
    cursor.execute(
        "SELECT min(id), max(id) FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS run FROM "
        f"(SELECT nextval('{sequence}'::regclass) AS id FROM generate_series(1, %s)) AS n) AS r "
        "GROUP BY run ORDER BY 1", [count])
    ids: list[int] = []
    for first, last in cursor.fetchall():
        ids.extend(range(first, last + 1))
    return ids


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in ``columns`` order, database column names) into ``model``'s table."""
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        adapt = _sqlite_value
        placeholders = ", ".join(["%s"] * len(columns))
        batch: list[Sequence[Any]] = []
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"
        for row in rows:
            batch.append([adapt(value) for value in row])
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


_TEXT: dict[type, Any] = {int: str, str: lambda v: v.translate(_ESCAPES), type(None): lambda _v: "\\N"}


def copy_lines(rows: Iterable[Sequence[Any]]) -> str:
    """``rows`` in PostgreSQL's ``COPY`` text format (ints, strings, booleans, dates, aware datetimes, None),
    made without a connection (in a worker process); ``copy_text`` writes it."""
    text = _TEXT
    return "".join("\t".join([text.get(type(v), _text)(v) for v in row]) + "\n" for row in rows)


def copy_text(model: type[Model], columns: Sequence[str], text: str) -> None:
    """Write ``text`` (from ``copy_lines``, in ``columns`` order) into ``model``'s table (PostgreSQL)."""
    if not text:
        return
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN") as copy:
        copy.write(text)


def _sqlite_value(value: Any) -> Any:
    """What Django's SQLite backend stores for dates and times (UTC text)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value
