from datetime import timedelta

from django.utils import timezone

from mendian.core.testing.api import ApiClient, error_code
from mendian.tenancy.models import AuditEntry


def test_owner_creates_integration_token_acting_as_a_staff_member(world):
    client = world.api()
    cashier = world.staff("cashier")
    created = client.post("/api-tokens", {"name": "小程序", "staff_id": cashier.pk})
    assert created.status_code == 201
    raw = created.data["token"]
    integration = ApiClient(raw)
    me = integration.get("/auth/me").data
    assert me["id"] == cashier.pk and me["store_ids"] == [world.stores[0].pk]
    listed = client.get("/api-tokens").data["items"]
    assert [t["name"] for t in listed] == ["小程序"] and "token" not in listed[0]
    assert client.post(f"/api-tokens/{created.data['id']}/revoke").data["revoked_at"]
    assert error_code(integration.get("/auth/me")) == "token_revoked"


def test_integration_tokens_are_owner_only_and_validated(world):
    hq = world.api(world.staff("hq_admin"))
    assert hq.post("/api-tokens", {"name": "x"}).status_code == 403
    assert hq.get("/api-tokens").status_code == 403
    client = world.api()
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert error_code(client.post("/api-tokens", {"name": "x", "expires_at": past})) == "invalid_expiry"
    assert client.post("/api-tokens", {"name": "x", "staff_id": 999999}).status_code == 404


def test_expiring_integration_token(world):
    client = world.api()
    soon = (timezone.now() + timedelta(days=30)).isoformat()
    created = client.post("/api-tokens", {"name": "e-shop", "expires_at": soon}).data
    assert created["expires_at"] is not None
    assert ApiClient(created["token"]).get("/stores").status_code == 200


def test_audit_log_filters_and_scopes(world):
    client = world.api()
    mine, other = world.stores
    client.patch(f"/stores/{mine.pk}", {"phone": "1"})
    client.patch(f"/stores/{other.pk}", {"phone": "2"})
    everything = client.get("/audit-log?limit=500").data["items"]
    assert {"store.updated", "merchant.created"} <= {e["action"] for e in everything}
    only_updates = client.get("/audit-log?action=store.updated").data["items"]
    assert {e["store_id"] for e in only_updates} == {mine.pk, other.pk}
    assert all(e["action_label"] for e in only_updates)
    by_prefix = client.get("/audit-log?action=store").data["items"]
    assert {e["action"] for e in by_prefix} == {"store.updated"}
    manager = world.api(world.staff("store_manager", stores=[mine]))
    seen = manager.get("/audit-log?limit=500").data["items"]
    assert seen and {e["store_id"] for e in seen} == {mine.pk}
    assert manager.get(f"/audit-log?store_id={other.pk}").status_code == 404
    today = timezone.localdate().isoformat()
    assert client.get(f"/audit-log?date_from={today}&date_to={today}").data["items"]
    bad = client.get("/audit-log?date_from=2026-02-01&date_to=2026-01-01")
    assert bad.status_code == 422 and error_code(bad) == "invalid_period"
    assert client.get("/audit-log?date_from=2026-13-01").status_code == 422
    assert world.api(world.staff("cashier")).get("/audit-log").status_code == 403


def test_every_change_is_audited_with_actor_and_ip(world):
    world.api().patch(f"/stores/{world.stores[0].pk}", {"city": "宁波"})
    entry = AuditEntry.objects.filter(merchant=world.merchant, action="store.updated").get()
    assert entry.actor_id == world.owner.pk and entry.ip_address == "127.0.0.1"
    assert entry.store_id == world.stores[0].pk and entry.changes == {"city": ["杭州", "宁波"]}
