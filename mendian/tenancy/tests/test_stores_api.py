import pytest

from mendian.core.testing.api import error_code
from mendian.tenancy.models import AuditEntry, Store

HOURS = [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "21:00"}]


def test_create_list_get_edit_close_reopen(world):
    client = world.api()
    created = client.post("/stores", {"name": "西湖店", "code": "HZ09", "city": "杭州", "address": "文三路1号",
                                      "latitude": 30.2765, "longitude": 120.1289, "opening_hours": HOURS})
    assert created.status_code == 201, created.data
    store = created.data
    assert store["status"] == "active" and store["timezone"] == "Asia/Shanghai"
    assert store["opening_hours"] == HOURS and store["latitude"] == 30.2765
    listed = client.get("/stores?limit=500").data
    assert store["id"] in [s["id"] for s in listed["items"]]
    assert client.get(f"/stores/{store['id']}").data["code"] == "HZ09"
    edited = client.patch(f"/stores/{store['id']}", {"address": "文三路2号", "timezone": "Asia/Urumqi"})
    assert edited.status_code == 200 and edited.data["address"] == "文三路2号"
    assert edited.data["timezone"] == "Asia/Urumqi"
    closed = client.post(f"/stores/{store['id']}/status", {"status": "closed"})
    assert closed.status_code == 200 and closed.data["status"] == "closed"
    assert Store.objects.get(pk=store["id"]).closed_at is not None
    reopened = client.post(f"/stores/{store['id']}/status", {"status": "active"})
    assert reopened.data["status"] == "active"
    actions = list(AuditEntry.objects.filter(merchant=world.merchant, target_id=store["id"], target_type="store")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["store.created", "store.updated", "store.status_changed", "store.status_changed"]
    update = AuditEntry.objects.get(merchant=world.merchant, action="store.updated", target_id=store["id"])
    assert update.changes["address"] == ["文三路1号", "文三路2号"]
    assert update.actor_id == world.owner.pk


def test_pending_store_is_approved(world):
    client = world.api()
    pending = client.post("/stores", {"name": "新店", "code": "NEW1", "status": "pending"}).data
    assert pending["status"] == "pending"
    assert client.post(f"/stores/{pending['id']}/status", {"status": "active"}).data["status"] == "active"


@pytest.mark.parametrize("body,code", [
    ({"name": "x", "code": "S001"}, "store_code_taken"),
    ({"name": "x", "code": "has space"}, "invalid_store_code"),
    ({"name": "x", "code": "OK1", "timezone": "Mars/Olympus"}, "invalid_timezone"),
    ({"name": "x", "code": "OK1", "opening_hours": [{"weekday": 7, "start": "09:00", "end": "10:00"}]},
     "validation_error"),
    ({"name": "x", "code": "OK1", "opening_hours": [{"weekday": 1, "start": "21:00", "end": "09:00"}]},
     "invalid_opening_hours"),
    ({"name": "x", "code": "OK1", "opening_hours": [{"weekday": 1, "start": "09:00", "end": "12:00"},
                                                   {"weekday": 1, "start": "11:00", "end": "13:00"}]},
     "invalid_opening_hours"),
    ({"name": "x", "code": "OK1", "latitude": 91}, "validation_error"),
    ({"name": "", "code": "OK1"}, "validation_error"),
    ({"name": "x", "code": "OK1", "status": "closed"}, "validation_error"),
    ({"code": "OK1"}, "validation_error"),
])
def test_bad_store_input_is_refused_and_nothing_is_written(world, body, code):
    client = world.api()
    before = Store.objects.count(), AuditEntry.objects.count()
    response = client.post("/stores", body)
    assert 400 <= response.status_code < 500
    assert error_code(response) == code
    assert response.data["error"]["message"]
    assert (Store.objects.count(), AuditEntry.objects.count()) == before


def test_duplicate_code_on_edit_is_409_and_store_unchanged(world):
    client = world.api()
    first, second = world.stores
    response = client.patch(f"/stores/{second.pk}", {"code": first.code, "name": "改名"})
    assert response.status_code == 409 and error_code(response) == "store_code_taken"
    second.refresh_from_db()
    assert second.code == "S002" and second.name != "改名"


def test_reclosing_or_impossible_transitions(world):
    client = world.api()
    store = world.stores[0]
    assert client.post(f"/stores/{store.pk}/status", {"status": "closed"}).status_code == 200
    assert client.post(f"/stores/{store.pk}/status", {"status": "closed"}).status_code == 200  # no change
    assert client.post(f"/stores/{store.pk}/status", {"status": "pending"}).status_code == 422


def test_roles_without_permission_get_403(world):
    cashier = world.api(world.staff("cashier"))
    response = cashier.post("/stores", {"name": "x", "code": "C1"})
    assert response.status_code == 403 and error_code(response) == "permission_denied"
    own_store = world.stores[0]
    assert cashier.patch(f"/stores/{own_store.pk}", {"name": "改"}).status_code == 403
    assert cashier.get(f"/stores/{own_store.pk}").status_code == 200


def test_store_bound_roles_see_and_edit_only_their_stores(world):
    mine, other = world.stores
    manager = world.api(world.staff("store_manager", stores=[mine]))
    listed = manager.get("/stores").data["items"]
    assert [s["id"] for s in listed] == [mine.pk]
    assert manager.get(f"/stores/{other.pk}").status_code == 404
    assert manager.patch(f"/stores/{other.pk}", {"name": "抢"}).status_code == 404
    assert manager.patch(f"/stores/{mine.pk}", {"phone": "0571-1234"}).status_code == 200
    assert manager.post(f"/stores/{mine.pk}/status", {"status": "closed"}).status_code == 403


def test_store_list_pages_with_cursor(world):
    client = world.api()
    for i in range(5):
        client.post("/stores", {"name": f"店{i}", "code": f"P{i}"})
    first = client.get("/stores?limit=3").data
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = client.get(f"/stores?limit=3&cursor={first['next_cursor']}").data
    third = client.get(f"/stores?limit=3&cursor={second['next_cursor']}").data
    ids = [s["id"] for s in first["items"] + second["items"] + third["items"]]
    assert len(ids) == len(set(ids)) == 7 and third["next_cursor"] is None
    assert client.get("/stores?limit=0").status_code == 422
    assert client.get("/stores?limit=501").status_code == 422
    assert error_code(client.get("/stores?cursor=%%%")) == "invalid_cursor"
