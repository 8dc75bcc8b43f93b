import pytest

from mendian.core.testing.api import ApiClient, error_code
from mendian.tenancy.models import AuditEntry, Staff
from mendian.tenancy.testing import PASSWORD


def new_staff(client, **fields):
    body = {"username": "new_person", "name": "新人", "role": "cashier", "password": "Strong-pass-77",
            **fields}
    return client.post("/staff", body)


def test_owner_adds_a_cashier_who_can_log_in(world):
    store = world.stores[0]
    response = new_staff(world.api(), store_ids=[store.pk], phone="+86 139 0000 1111")
    assert response.status_code == 201, response.data
    assert response.data["role"] == "cashier" and response.data["store_ids"] == [store.pk]
    assert response.data["phone"] == "13900001111"
    login = ApiClient().post("/auth/token", {"username": "new_person", "password": "Strong-pass-77"})
    assert login.status_code == 200 and login.data["staff"]["store_ids"] == [store.pk]
    assert AuditEntry.objects.filter(merchant=world.merchant, action="staff.created").count() == 1


@pytest.mark.parametrize("fields,status,code", [
    ({"store_ids": []}, 422, "stores_required"),
    ({"password": "12345678"}, 422, "weak_password"),
    ({"username": "ab"}, 422, "invalid_username"),
    ({"username": "13800001111"}, 422, "invalid_username"),
    ({"role": "emperor"}, 404, "role_not_found"),
    ({"phone": "12345"}, 422, "invalid_phone"),
])
def test_bad_staff_input(world, fields, status, code):
    before = Staff.objects.count()
    body = {"store_ids": [world.stores[0].pk], **fields}
    response = new_staff(world.api(), **body)
    assert (response.status_code, error_code(response)) == (status, code)
    assert Staff.objects.count() == before


def test_duplicate_username_and_phone_are_409(world):
    client = world.api()
    store_ids = [world.stores[0].pk]
    assert new_staff(client, store_ids=store_ids, phone="13900002222").status_code == 201
    dup = new_staff(client, store_ids=store_ids, username="NEW_PERSON")
    assert dup.status_code == 409 and error_code(dup) == "username_taken"
    dup_phone = new_staff(client, store_ids=store_ids, username="other_person", phone="13900002222")
    assert dup_phone.status_code == 409 and error_code(dup_phone) == "phone_taken"


def test_store_manager_cannot_hand_out_more_than_they_have(world):
    mine, other = world.stores
    manager = world.api(world.staff("store_manager", stores=[mine]))
    assert new_staff(manager, store_ids=[mine.pk]).status_code == 201
    hq = new_staff(manager, username="wannabe_hq", role="hq_admin")
    assert hq.status_code == 403 and error_code(hq) == "role_not_assignable"
    owner = new_staff(manager, username="wannabe_owner", role="owner")
    assert owner.status_code == 403
    elsewhere = new_staff(manager, username="elsewhere", store_ids=[other.pk])
    assert elsewhere.status_code == 404


def test_store_manager_sees_and_edits_only_their_stores_staff(world):
    mine, other = world.stores
    manager_staff = world.staff("store_manager", stores=[mine])
    manager = world.api(manager_staff)
    own_cashier = world.staff("cashier", stores=[mine])
    other_cashier = world.staff("cashier", stores=[other])
    shared = world.staff("cashier", stores=[mine, other])
    listed = {s["id"] for s in manager.get("/staff?limit=500").data["items"]}
    assert own_cashier.pk in listed and shared.pk in listed
    assert other_cashier.pk not in listed and world.owner.pk not in listed
    assert manager.get(f"/staff/{other_cashier.pk}").status_code == 404
    assert manager.patch(f"/staff/{own_cashier.pk}", {"name": "改名"}).status_code == 200
    # someone who also works in a store outside theirs stays out of reach
    assert manager.patch(f"/staff/{shared.pk}", {"name": "改名"}).status_code == 403
    assert manager.post(f"/staff/{own_cashier.pk}/password", {"password": "Reset-pass-88"}).status_code == 204
    assert ApiClient().post("/auth/token", {"username": own_cashier.username, "password": "Reset-pass-88"}
                            ).status_code == 200


def test_the_last_owner_cannot_be_removed_and_nobody_demotes_themselves(world):
    client = world.api()
    me = client.patch(f"/staff/{world.owner.pk}", {"is_active": False})
    assert me.status_code == 409 and error_code(me) == "cannot_change_self"
    second_owner = world.staff("owner")
    assert client.patch(f"/staff/{second_owner.pk}", {"role": "finance"}).status_code == 200
    demoted = world.api(second_owner)
    assert demoted.get("/auth/me").data["role"] == "finance"


def test_last_owner_rule(world):
    second = world.staff("owner")
    client = world.api(second)
    assert client.patch(f"/staff/{world.owner.pk}", {"is_active": False}).status_code == 200
    back = world.api()  # the first owner's token was revoked on deactivation
    assert back.get("/auth/me").status_code == 401
    hq = world.staff("hq_admin")
    assert world.api(hq).patch(f"/staff/{second.pk}", {"is_active": False}).status_code == 403


def test_custom_roles(world):
    client = world.api()
    perms = client.get("/permissions").data
    assert {"stores.view", "staff.manage", "roles.manage"} <= {p["code"] for p in perms}
    created = client.post("/roles", {"name": "前台", "permissions": ["stores.view", "staff.view"],
                                     "store_bound": True})
    assert created.status_code == 201 and created.data["permissions"] == ["staff.view", "stores.view"]
    role = created.data
    person = new_staff(client, role=role["code"], store_ids=[world.stores[0].pk]).data
    token = ApiClient().post("/auth/token", {"username": person["username"], "password": "Strong-pass-77"}
                             ).data["token"]
    front = ApiClient(token)
    assert front.get("/staff").status_code == 200
    assert front.post("/stores", {"name": "x", "code": "X1"}).status_code == 403
    # taking a permission away takes effect at once
    assert client.patch(f"/roles/{role['id']}", {"permissions": ["stores.view"]}).status_code == 200
    assert front.get("/staff").status_code == 403
    in_use = client.delete(f"/roles/{role['id']}")
    assert in_use.status_code == 409 and error_code(in_use) == "role_in_use"


@pytest.mark.parametrize("body,code", [
    ({"name": "x", "permissions": ["nuke.everything"]}, "unknown_permission"),
    ({"name": "x", "permissions": ["tokens.manage"]}, "unknown_permission"),
    ({"name": "Owner", "permissions": []}, "role_name_taken"),
    ({"name": "", "permissions": []}, "validation_error"),
])
def test_bad_roles(world, body, code):
    assert error_code(world.api().post("/roles", body)) == code


def test_built_in_roles_are_fixed_and_only_the_owner_edits_roles(world):
    client = world.api()
    cashier_role = world.roles["cashier"]
    assert error_code(client.patch(f"/roles/{cashier_role.pk}", {"name": "x"})) == "role_builtin"
    assert error_code(client.delete(f"/roles/{cashier_role.pk}")) == "role_builtin"
    hq = world.api(world.staff("hq_admin"))
    assert hq.post("/roles", {"name": "x", "permissions": []}).status_code == 403
    unused = client.post("/roles", {"name": "临时", "permissions": []}).data
    assert client.delete(f"/roles/{unused['id']}").status_code == 204


def test_staff_phone_is_masked_for_viewers_without_manage(world):
    cashier = world.staff("cashier")
    Staff.objects.filter(pk=cashier.pk).update(phone="13812345678")
    role = world.api().post("/roles", {"name": "只读", "permissions": ["staff.view"]}).data
    viewer = new_staff(world.api(), username="viewer_1", role=role["code"]).data
    token = ApiClient().post("/auth/token", {"username": viewer["username"], "password": "Strong-pass-77"}
                             ).data["token"]
    seen = ApiClient(token).get(f"/staff/{cashier.pk}").data
    assert seen["phone"] == "138****5678"
    assert world.api().get(f"/staff/{cashier.pk}").data["phone"] == "13812345678"


def test_password_is_never_in_responses_or_audit(world):
    response = new_staff(world.api(), store_ids=[world.stores[0].pk])
    assert "Strong-pass-77" not in response.content.decode()
    assert not AuditEntry.objects.filter(changes__icontains="Strong-pass-77").exists()
    assert PASSWORD
