from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.core.testing.api import ApiClient, error_code
from mendian.tenancy.models import ApiToken, AuditEntry
from mendian.tenancy.services.tokens import hash_token
from mendian.tenancy.testing import PASSWORD


def login(username, password=PASSWORD, **kwargs):
    return ApiClient().post("/auth/token", {"username": username, "password": password}, **kwargs)


def test_token_for_right_password(world):
    response = login(world.owner.username)
    assert response.status_code == 200
    body = response.data
    assert body["token"].startswith("md_")
    assert body["staff"]["username"] == world.owner.username
    assert body["staff"]["role"] == "owner"
    assert body["staff"]["store_ids"] is None
    assert "tokens.manage" in body["staff"]["permissions"]
    me = ApiClient(body["token"]).get("/auth/me")
    assert me.status_code == 200 and me.data["id"] == world.owner.pk


def test_tokens_are_stored_only_as_hashes(world):
    raw = login(world.owner.username).data["token"]
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    assert raw not in {token.key_hash, token.prefix, token.name}
    assert token.prefix == raw[:10]


def test_login_by_phone_and_case_insensitive_username(world):
    from mendian.tenancy.models import Staff

    Staff.objects.filter(pk=world.owner.pk).update(phone="13912345678")
    assert login("13912345678").status_code == 200
    assert login(world.owner.username.upper()).status_code == 200


@pytest.mark.parametrize("language,message", [("zh-hans", "用户名或密码错误"), ("en", "Wrong username or password.")])
def test_wrong_password_is_401_in_the_callers_language(world, language, message):
    response = login(world.owner.username, "not-the-password", language=language)
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    assert message in response.data["error"]["message"]


def test_failed_login_is_audited_without_the_password(world):
    login(world.owner.username, "secret-guess-123")
    entry = AuditEntry.objects.get(merchant=world.merchant, action="auth.login_failed")
    assert "secret-guess-123" not in str(entry.changes) + entry.target_label


def test_unknown_user_and_inactive_user_are_401(world):
    assert error_code(login("nobody-here")) == "invalid_credentials"
    cashier = world.staff("cashier")
    cashier.is_active = False
    cashier.save()
    assert error_code(login(cashier.username)) == "invalid_credentials"


def test_repeated_failures_lock_the_login(world):
    for _ in range(4):
        assert login(world.owner.username, "wrong-wrong").status_code == 401
    assert error_code(login(world.owner.username, "wrong-wrong")) == "too_many_attempts"  # the fifth locks
    locked = login(world.owner.username)  # even the right password, while locked
    assert locked.status_code == 429
    assert error_code(locked) == "too_many_attempts"
    # another account from the same address is not locked
    assert login(world.staff("hq_admin").username).status_code == 200


def test_missing_bad_expired_and_revoked_tokens(world):
    assert error_code(ApiClient().get("/stores")) == "not_authenticated"
    assert error_code(ApiClient("md_nonsense").get("/stores")) == "token_invalid"
    raw = login(world.owner.username).data["token"]
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    expired = ApiClient(raw).get("/stores")
    assert expired.status_code == 401 and error_code(expired) == "token_expired"
    raw2 = login(world.owner.username).data["token"]
    assert ApiClient(raw2).post("/auth/logout").status_code == 204
    revoked = ApiClient(raw2).get("/stores")
    assert revoked.status_code == 401 and error_code(revoked) == "token_revoked"


def test_deactivating_staff_ends_their_tokens(world):
    cashier = world.staff("cashier")
    client = world.api(cashier)
    assert client.get("/auth/me").status_code == 200
    owner = world.api()
    assert owner.patch(f"/staff/{cashier.pk}", {"is_active": False}).status_code == 200
    assert client.get("/auth/me").status_code == 401


def test_change_own_password(world):
    client = world.api()
    bad = client.post("/auth/password", {"old_password": "wrong", "new_password": "Another-pass-99"})
    assert bad.status_code == 422 and error_code(bad) == "wrong_password"
    weak = client.post("/auth/password", {"old_password": PASSWORD, "new_password": "123"})
    assert weak.status_code == 422 and error_code(weak) == "weak_password"
    assert client.post("/auth/password", {"old_password": PASSWORD, "new_password": "Another-pass-99"}
                       ).status_code == 204
    assert login(world.owner.username, "Another-pass-99").status_code == 200
    assert login(world.owner.username, PASSWORD).status_code == 401


@pytest.mark.parametrize("raw", ['{"username": "a"', "[1, 2]", "not json", ""])
def test_malformed_bodies_are_4xx(world, raw):
    response = ApiClient().post("/auth/token", raw=raw)
    assert response.status_code in (400, 422)
    assert error_code(response) in ("malformed_json", "validation_error")


def test_unknown_fields_are_refused(world):
    response = ApiClient().post("/auth/token", {"username": "a", "password": "b", "remember": True})
    assert response.status_code == 422
    assert response.data["error"]["detail"]["fields"][0]["field"] == "remember"
