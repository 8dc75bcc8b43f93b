import pytest

from mendian.core.errors import BadRequest
from mendian.core.pagination import paginate
from mendian.tenancy.models import AuditEntry


@pytest.fixture
def entries(world):
    AuditEntry.objects.filter(merchant=world.merchant).delete()
    return [AuditEntry.objects.create(merchant=world.merchant, action="x.test", target_label=str(i))
            for i in range(7)]


def test_cursor_pages_cover_every_row_once(world, entries):
    queryset = AuditEntry.objects.filter(merchant=world.merchant)
    seen, cursor = [], None
    while True:
        page = paginate(queryset, cursor=cursor, limit=3, order=("-created_at", "-id"))
        seen.extend(e.pk for e in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted((e.pk for e in entries), reverse=True)


def test_rows_added_after_the_first_page_do_not_shift_later_pages(world, entries):
    queryset = AuditEntry.objects.filter(merchant=world.merchant)
    first = paginate(queryset, cursor=None, limit=3, order=("id",))
    AuditEntry.objects.create(merchant=world.merchant, action="x.test", target_label="late")
    second = paginate(queryset, cursor=first.next_cursor, limit=3, order=("id",))
    assert [e.pk for e in second.items] == [e.pk for e in entries[3:6]]


@pytest.mark.parametrize("cursor", ["garbage!!", "W10", "WyJhIl0"])
def test_bad_cursors_are_refused(world, entries, cursor):
    with pytest.raises(BadRequest) as caught:
        paginate(AuditEntry.objects.all(), cursor=cursor, limit=3, order=("id",))
    assert caught.value.code == "invalid_cursor"
