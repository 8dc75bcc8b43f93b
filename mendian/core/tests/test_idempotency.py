import threading
import uuid

import pytest
from django.db import connection

from mendian.core.models import IdempotencyRecord
from mendian.core.testing.api import error_code
from mendian.tenancy.models import AuditEntry, Store
from mendian.tenancy.testing import make_world


def test_replay_returns_the_first_answer_and_does_nothing_again(world):
    client = world.api()
    key = str(uuid.uuid4())
    body = {"name": "幂等店", "code": "IDEM1"}
    first = client.post("/stores", body, key=key)
    second = client.post("/stores", {"code": "IDEM1", "name": "幂等店"}, key=key)  # same content, other order
    assert first.status_code == second.status_code == 201
    assert first.data == second.data
    assert second["Idempotent-Replayed"] == "true"
    assert Store.objects.filter(merchant=world.merchant, code="IDEM1").count() == 1
    assert AuditEntry.objects.filter(merchant=world.merchant, action="store.created").count() == 1


def test_same_key_with_another_body_is_409(world):
    client = world.api()
    key = str(uuid.uuid4())
    assert client.post("/stores", {"name": "A", "code": "K1"}, key=key).status_code == 201
    reused = client.post("/stores", {"name": "B", "code": "K2"}, key=key)
    assert reused.status_code == 409 and error_code(reused) == "idempotency_key_reused"
    assert not Store.objects.filter(code="K2").exists()


def test_keys_are_per_merchant(world, other_world):
    key = "shared-key-1"
    assert world.api().post("/stores", {"name": "A", "code": "Z1"}, key=key).status_code == 201
    other = other_world.api().post("/stores", {"name": "B", "code": "Z1"}, key=key)
    assert other.status_code == 201 and other.data["name"] == "B"


def test_a_refused_request_is_replayed_as_refused_and_writes_nothing(world):
    client = world.api()
    key = str(uuid.uuid4())
    taken = client.post("/stores", {"name": "重复", "code": "S001"}, key=key)
    assert taken.status_code == 409
    again = client.post("/stores", {"name": "重复", "code": "S001"}, key=key)
    assert again.status_code == 409 and again.data == taken.data
    assert IdempotencyRecord.objects.filter(merchant=world.merchant, key=key).count() == 1


def test_permission_refusals_are_not_stored(world):
    cashier = world.api(world.staff("cashier"))
    key = str(uuid.uuid4())
    assert cashier.post("/stores", {"name": "x", "code": "P1"}, key=key).status_code == 403
    assert not IdempotencyRecord.objects.filter(key=key).exists()


def test_overlong_key_is_400(world):
    response = world.api().post("/stores", {"name": "x", "code": "L1"}, key="k" * 201)
    assert response.status_code == 400 and error_code(response) == "invalid_idempotency_key"


def test_a_failed_write_leaves_nothing_behind(world, monkeypatch):
    """An error after the first write rolls the whole request back (no half-written change)."""
    from mendian.tenancy.services import stores as store_services

    def explode(**kwargs):
        raise RuntimeError("injected failure after the store row was written")

    monkeypatch.setattr(store_services, "audit_record", explode)
    before = Store.objects.count()
    response = world.api().post("/stores", {"name": "半截", "code": "HALF"}, key=str(uuid.uuid4()))
    assert response.status_code == 500 and error_code(response) == "internal_error"
    assert Store.objects.count() == before
    assert not IdempotencyRecord.objects.filter(merchant=world.merchant).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_store():
    world = make_world("并发")
    clients = [world.api() for _ in range(8)]
    key = str(uuid.uuid4())
    barrier = threading.Barrier(len(clients))
    results = []

    def send(client):
        barrier.wait()
        try:
            results.append(client.post("/stores", {"name": "并发店", "code": "RACE"}, key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [201] * len(clients)
    assert len({r.data["id"] for r in results}) == 1
    assert Store.objects.filter(merchant=world.merchant, code="RACE").count() == 1
    assert IdempotencyRecord.objects.filter(merchant=world.merchant, key=key).count() == 1


def test_unknown_api_paths_answer_json_404(world):
    response = world.api().get("/no-such-thing")
    assert response.status_code == 404 and error_code(response) == "not_found"
