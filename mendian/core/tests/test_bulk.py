"""Bulk writes: foreign keys checked in bulk at the end of a large copy, with the same guarantee as the
per-row triggers."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

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
