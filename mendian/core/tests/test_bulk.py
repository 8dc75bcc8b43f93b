"""Bulk writes: foreign keys checked in bulk at the end of a large copy, with the same guarantee as the
per-row triggers."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from mendian.core import bulk
from mendian.core.bulk import foreign_keys_checked_in_bulk, insert_rows, reserve_ids
from mendian.members.models import Tag, TagGroup

TAG_COLUMNS = ("id", "merchant_id", "group_id", "name", "color", "created_at", "updated_at")
GROUP_COLUMNS = ("id", "merchant_id", "name", "sort_order", "created_at", "updated_at")


def _role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return cursor.fetchone()[0]


def _write(world, group_id: int | None, *, names: tuple[str, ...] = ("甲", "乙")) -> list[int]:
    now = timezone.now()
    ids = reserve_ids(Tag, len(names))
    insert_rows(Tag, TAG_COLUMNS, [(pk, world.merchant.pk, group_id, name, "secondary", now, now)
                                   for pk, name in zip(ids, names, strict=True)])
    return ids


@pytest.mark.postgres
def test_rows_with_good_keys_are_kept_and_the_triggers_come_back(world):
    now = timezone.now()
    with transaction.atomic():
        with foreign_keys_checked_in_bulk([TagGroup, Tag]) as in_bulk:
            assert in_bulk is True
            assert _role() == "replica"
            [group_id] = reserve_ids(TagGroup, 1)
            # the child before its parent: fine, the keys are checked when the block ends
            ids = _write(world, group_id)
            insert_rows(TagGroup, GROUP_COLUMNS, [(group_id, world.merchant.pk, "来源", 0, now, now)])
        assert _role() == "origin"
    assert set(Tag.objects.filter(pk__in=ids).values_list("group_id", flat=True)) == {group_id}


def _planned_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.parametrize("threshold, analysed", [(50, True), (10_000, False)])
def test_a_large_block_leaves_the_planner_the_size_of_its_tables(world, monkeypatch, threshold, analysed):
    """ANALYZE inside the transaction counts its own rows, which autovacuum cannot see before commit."""
    monkeypatch.setattr(bulk, "ANALYZE_FROM", threshold)
    with transaction.atomic():
        with connection.cursor() as cursor:  # what the planner knew before: not these rows
            cursor.execute("ANALYZE members_tag")
        known = _planned_rows(Tag)
        with foreign_keys_checked_in_bulk([Tag]):
            _write(world, None, names=tuple(f"标签{n}" for n in range(120)))
        after = _planned_rows(Tag)
    if analysed:
        assert after >= known + 120
    else:
        assert after == known


@pytest.mark.postgres
def test_a_row_pointing_nowhere_fails_the_block_and_nothing_stays(world):
    before = Tag.objects.count()
    with pytest.raises(IntegrityError, match=r"members_tag\.group_id = 987654321"), transaction.atomic():
        with foreign_keys_checked_in_bulk([TagGroup, Tag]):
            _write(world, None, names=("无组",))  # a null key points nowhere and is fine
            _write(world, 987654321)
    assert Tag.objects.count() == before
    assert _role() == "origin"


@pytest.mark.postgres
def test_only_rows_added_in_the_block_are_checked(world):
    group = TagGroup.objects.create(merchant=world.merchant, name="旧")
    Tag.objects.create(merchant=world.merchant, group=group, name="旧标签")
    with transaction.atomic(), foreign_keys_checked_in_bulk([Tag]):
        ids = _write(world, group.pk)
    assert Tag.objects.filter(pk__in=ids).count() == 2


@pytest.mark.postgres
def test_without_the_right_the_triggers_check_the_keys_as_usual(world):
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE mendian_bulk_test NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT ON {Tag._meta.db_table}, {TagGroup._meta.db_table} TO mendian_bulk_test")
        cursor.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO mendian_bulk_test")
        cursor.execute("SET LOCAL ROLE mendian_bulk_test")
    with pytest.raises(IntegrityError), transaction.atomic():
        with foreign_keys_checked_in_bulk([Tag]) as in_bulk:
            assert in_bulk is False
            assert _role() == "origin"
            _write(world, 987654321)
        with connection.cursor() as cursor:  # what commit would do
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_on_sqlite_it_does_nothing_and_the_rows_are_written(world, is_postgres):
    if is_postgres:
        pytest.skip("SQLite only")
    with transaction.atomic(), foreign_keys_checked_in_bulk([Tag]) as in_bulk:
        assert in_bulk is False
        ids = _write(world, None)
    assert Tag.objects.filter(pk__in=ids).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_rows_pointed_to_are_held_until_commit(world):
    import psycopg

    group = TagGroup.objects.create(merchant=world.merchant, name="已提交")
    settings = connection.settings_dict
    other = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                            port=settings["PORT"], autocommit=True)
    try:
        other.execute("SET lock_timeout = '300ms'")
        with transaction.atomic():
            with foreign_keys_checked_in_bulk([Tag]) as in_bulk:
                assert in_bulk is True
                _write(world, group.pk)
            # another session cannot delete the group under the new, uncommitted tags
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(f"DELETE FROM {TagGroup._meta.db_table} WHERE id = %s", [group.pk])
        assert Tag.objects.filter(group=group).count() == 2
    finally:
        other.close()


# --- a worker process making the rows -------------------------------------------------------
def _tags_made_in_worker(merchant_id: int, count: int, *, as_text: bool):
    from mendian.core.bulk import Table, copy_lines

    def produce(cursor):
        now = timezone.now()
        for batch in range(count):
            ids = reserve_ids(Tag, 2, cursor=cursor)
            rows = [(pk, merchant_id, None, f"批{batch}-{n}\t制表", "secondary", now, now) for n, pk in enumerate(ids)]
            yield [Table(Tag, TAG_COLUMNS, copy_lines(rows) if as_text else rows)]
    return produce


@pytest.mark.postgres
@pytest.mark.parametrize("as_text", [False, True])
def test_a_worker_makes_the_rows_in_order_with_ids_of_its_own_and_this_process_writes_them(world, as_text):
    from mendian.core.bulk import made_by_worker, write_tables

    received = []
    with transaction.atomic(), made_by_worker(_tags_made_in_worker(world.merchant.pk, 5, as_text=as_text)) as made:
        for tables in made:
            received.append(tables)
            write_tables(tables)
    assert len(received) == 5
    names = list(Tag.objects.filter(merchant=world.merchant).order_by("id").values_list("name", flat=True))
    assert names == [f"批{b}-{n}\t制表" for b in range(5) for n in range(2)]  # the tab survives the text form
    ids = list(Tag.objects.filter(merchant=world.merchant).values_list("id", flat=True))
    assert len(set(ids)) == 10
    # the worker's ids came from the sequence: the next one this process takes is above them all
    assert Tag.objects.create(merchant=world.merchant, name="之后").pk > max(ids)


@pytest.mark.postgres
def test_an_error_in_the_worker_is_raised_here_as_itself_and_nothing_is_kept(world):
    from mendian.core.bulk import made_by_worker, write_tables
    from mendian.core.errors import InvalidInput

    def produce(cursor):
        yield from _tags_made_in_worker(world.merchant.pk, 2, as_text=False)(cursor)
        raise InvalidInput("bad_row", "第 3 行有误", detail={"row": 3})

    with pytest.raises(InvalidInput) as raised, transaction.atomic(), made_by_worker(produce) as made:
        for tables in made:
            write_tables(tables)
    assert (raised.value.code, raised.value.detail) == ("bad_row", {"row": 3})
    assert any("in the worker process" in note for note in raised.value.__notes__)
    assert not Tag.objects.filter(merchant=world.merchant).exists()


@pytest.mark.postgres
def test_an_error_that_cannot_be_sent_back_arrives_as_its_text(world):
    from mendian.core.bulk import WorkerFailed, made_by_worker

    class Local(Exception):  # defined in a function: pickle cannot find it again
        pass

    def produce(cursor):
        raise Local("本地错误")
        yield

    with pytest.raises(WorkerFailed, match="本地错误"), made_by_worker(produce) as made:
        list(made)


@pytest.mark.postgres
def test_leaving_early_stops_the_worker(world):
    import multiprocessing

    from mendian.core.bulk import made_by_worker

    def produce(cursor):
        n = 0
        while True:  # would never end by itself
            n += 1
            yield n

    with made_by_worker(produce) as made:
        assert next(made) == 1
        assert next(made) == 2
    assert multiprocessing.active_children() == []
