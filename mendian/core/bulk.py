"""Bulk inserts with ids known in advance: PostgreSQL ``COPY`` (psycopg 3), ``executemany`` elsewhere.

Imports and the scale demo write hundreds of thousands of linked rows; reserving the ids first lets
every table be written in one pass, with the foreign keys already filled in.
"""

from __future__ import annotations

import multiprocessing
import pickle
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from queue import Empty
from typing import Any, TypeVar

import psycopg
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ForeignKey, Model

# Rows added by a bulk-checked block from which its tables are analysed before the checks (ANALYZE holds a
# lock against another ANALYZE of the table until commit, so small imports leave it to autovacuum).
ANALYZE_FROM = 100_000
_SEQUENCE_NAME = re.compile(r'[A-Za-z0-9_."]+')


# What builds rows with ids known in advance is given: ``reserve_ids`` here, or bound to a worker's cursor.
Reserve = Callable[[type[Model], int], list[int]]


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


@dataclass
class Table:
    """Rows for one table: values in ``columns`` order, or their ``COPY`` text (``copy_lines``)."""

    model: type[Model]
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]] | str


def write_tables(tables: Iterable[Table]) -> None:
    """Write each table's rows, in the order given (parents before children is not needed inside
    ``foreign_keys_checked_in_bulk``, but is elsewhere)."""
    for table in tables:
        if isinstance(table.rows, str):
            copy_text(table.model, table.columns, table.rows)
        else:
            insert_rows(table.model, table.columns, table.rows)


Item = TypeVar("Item")


class WorkerFailed(RuntimeError):
    """The worker process stopped, or failed with an error that could not be sent back as it was."""


@contextmanager
def made_by_worker(produce: Callable[[Any], Iterable[Item]]) -> Iterator[Iterator[Item]]:
    """The items of ``produce(cursor)``, made by a forked worker process while this one uses the ones before
    (PostgreSQL): on two cores, one process reads, checks and builds rows while the other writes them.

    The worker has a copy of this process as it was (fork) and a connection of its own, in autocommit:
    ``cursor`` is a raw psycopg cursor on it, for ids (``reserve_ids(..., cursor=cursor)``, sequences are not
    transactional) and for reading what is committed. It must not use the ORM, whose connection is this
    process's. At most two items wait in the queue. An error in the worker is raised here, as the same
    exception where it can be sent back (the worker's traceback in its notes), else as ``WorkerFailed``;
    leaving the block early stops the worker."""
    settings = connection.settings_dict
    params = {"dbname": settings["NAME"], "user": settings["USER"], "password": settings["PASSWORD"],
              "host": settings["HOST"], "port": settings["PORT"]}
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)
    worker = context.Process(target=_work, args=(produce, queue, {k: v for k, v in params.items() if v}),
                             daemon=True)
    worker.start()
    try:
        yield _received(queue, worker)
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        queue.close()


def _work(produce: Callable[[Any], Iterable[Any]], queue: Any, params: dict[str, Any]) -> None:
    try:
        with psycopg.connect(**params, autocommit=True) as conn, conn.cursor() as cursor:
            for item in produce(cursor):
                queue.put(("item", item))
        queue.put(("done", None))
    except BaseException as error:  # sent back whole, to be raised in the parent
        text = traceback.format_exc()
        try:
            sent = pickle.loads(pickle.dumps(error))
        except Exception:  # an error that does not survive pickling arrives as its text
            sent = None
        queue.put(("error", (sent if isinstance(sent, Exception) else None, text)))


def _received(queue: Any, worker: Any) -> Iterator[Any]:
    while True:
        try:
            kind, value = queue.get(timeout=5)
        except Empty:
            if not worker.is_alive():
                raise WorkerFailed(f"the worker process stopped (exit code {worker.exitcode})") from None
            continue
        if kind == "done":
            return
        if kind == "error":
            error, text = value
            if error is None:
                raise WorkerFailed(f"the worker process failed:\n{text}")
            error.add_note(f"in the worker process:\n{text}")
            raise error
        yield value


@contextmanager
def foreign_keys_checked_in_bulk(models: Sequence[type[Model]]) -> Iterator[bool]:
    """Rows of ``models`` written inside this block have their foreign keys checked once, in bulk, at its
    end, instead of one by one at commit. Yields whether it could (PostgreSQL, with the right to set
    ``session_replication_role``); otherwise it does nothing and the keys are checked at commit as usual.

    Call inside a transaction, and list every table the block writes: the triggers are off for all of
    them, so the keys of rows in a table not listed are not checked at all. PostgreSQL checks a foreign
    key with a trigger per row and per key, queued
    until commit: tens of millions of index probes for a large history. Here the triggers are off for the
    block (``session_replication_role = replica``, for this transaction only, as ``pg_restore
    --disable-triggers`` does) and each key of the rows added (ids above the largest before the block) is
    then checked by one anti-join; a row pointing nowhere raises ``IntegrityError``, which rolls the whole
    transaction back. The rows pointed to are then locked ``FOR KEY SHARE`` in one statement per key, as the
    triggers lock them: the same guarantee, in a handful of set operations instead of a probe per row.
    Rows of ``models`` themselves with ids above the largest before the block are taken for this
    transaction's own (invisible to others, nothing to lock): the rows written in the block point to rows
    that existed before it or that it wrote, never to rows another session adds meanwhile."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield False
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:  # not a superuser, nor granted SET on it: the triggers stay
            yield False
            return
        before = {}
        for model in models:
            cursor.execute(f"SELECT COALESCE(MAX({quote(model._meta.pk.column)}), 0) "
                           f"FROM {quote(model._meta.db_table)}")
            before[model] = cursor.fetchone()[0]
        # On an error the transaction is rolled back, and the setting with it (SET LOCAL).
        yield True
        cursor.execute("SET LOCAL session_replication_role = origin")
        # After a large write, the planner's figures for the tables as they are now (for the checks, and for
        # what the transaction does next): autovacuum does not see rows that are not committed yet.
        added = 0
        for model in models:
            cursor.execute(f"SELECT COALESCE(MAX({quote(model._meta.pk.column)}), 0) "
                           f"FROM {quote(model._meta.db_table)}")
            added += max(0, cursor.fetchone()[0] - before[model])
        if added >= ANALYZE_FROM:
            analyze(models)
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the anti-joins hash the parents' keys in memory
        for model in models:
            for field in model._meta.concrete_fields:
                if not isinstance(field, ForeignKey) or not field.db_constraint:
                    continue
                child, parent = quote(model._meta.db_table), quote(field.related_model._meta.db_table)
                column, target = quote(field.column), quote(field.target_field.column)
                cursor.execute(
                    f"SELECT c.{column} FROM {child} c WHERE c.{quote(model._meta.pk.column)} > %s "
                    f"AND c.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {parent} p WHERE p.{target} = c.{column}) LIMIT 1", [before[model]])
                missing = cursor.fetchone()
                if missing is not None:
                    raise IntegrityError(f"{model._meta.db_table}.{field.column} = {missing[0]} points to no row "
                                         f"of {field.related_model._meta.db_table}")
                # and the rows pointed to are held until commit, as the triggers would hold them, so that no
                # other transaction can delete them (or change their key) under the new rows — except those
                # added in the block, which no other transaction sees yet
                related = field.related_model
                own = ""
                if related in before and field.target_field == related._meta.pk:
                    own = f" AND p.{target} <= {int(before[related])}"
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {parent} p WHERE p.{target} IN (SELECT c.{column} "
                    f"FROM {child} c WHERE c.{quote(model._meta.pk.column)} > %s){own} FOR KEY SHARE OF p) AS held",
                    [before[model]])
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])


def analyze(models: Iterable[type[Model]]) -> None:
    """Fresh planner statistics for the tables of ``models`` (PostgreSQL; nothing elsewhere). After a bulk
    write inside a transaction: ANALYZE counts the transaction's own rows, which autovacuum cannot see
    before commit, so the queries that follow in it are planned for the tables' real size."""
    if connection.vendor != "postgresql":
        return
    tables = sorted({model._meta.db_table for model in models})
    if tables:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _sqlite_value(value: Any) -> Any:
    """What Django's SQLite backend stores for dates and times (UTC text)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value
