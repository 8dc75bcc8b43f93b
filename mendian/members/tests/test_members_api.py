from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.core.testing.api import error_code
from mendian.loyalty.models import Level, PointsEntry, PointsRule
from mendian.members.codes import member_code
from mendian.members.models import CustomField, Member
from mendian.members.testing import make_member, next_phone
from mendian.tenancy.models import AuditEntry


@pytest.fixture
def levels(world):
    return [Level.objects.create(merchant=world.merchant, name=n, rank=r, threshold=t, discount_pct=d)
            for n, r, t, d in (("普通", 0, 0, 100), ("银卡", 1, 100_000, 95), ("金卡", 2, 500_000, 90))]


def register(client, world, **fields):
    body = {"phone": next_phone(), "name": "张三", "store_id": world.stores[0].pk, **fields}
    return client.post("/members", body)


def test_register_gives_lowest_level_points_and_empty_wallet(world, levels):
    PointsRule.objects.create(merchant=world.merchant, register_points=50)
    response = register(world.api(), world, phone="+86 139-0011-2233", birthday="1990-02-03", gender="female")
    assert response.status_code == 201, response.data
    member = response.data
    assert member["phone"] == "13900112233"
    assert member["level"] == {"id": levels[0].pk, "name": "普通"}
    assert (member["points"], member["balance_fen"], member["principal_fen"], member["bonus_fen"]) == (50, 0, 0, 0)
    assert len(member["card_no"]) == 10 and member["card_no"].isdigit()
    assert member["source"]["channel"] == "api" and member["registered_store_id"] == world.stores[0].pk
    entry = PointsEntry.objects.get(member_id=member["id"])
    assert (entry.delta, entry.reason, entry.ref_type) == (50, "earn", "registration")
    audit = AuditEntry.objects.get(merchant=world.merchant, action="member.registered", target_id=member["id"])
    assert "13900112233" not in str(audit.changes) and audit.changes["phone"] == "139****2233"


@pytest.mark.parametrize("fields,status,code", [
    ({"phone": "12345"}, 422, "invalid_phone"),
    ({"phone": "abc"}, 422, "invalid_phone"),
    ({"birthday": "1990-13-45"}, 422, "validation_error"),
    ({"birthday": "2999-01-01"}, 422, "invalid_birthday"),
    ({"gender": "robot"}, 422, "validation_error"),
    ({"extra": 1}, 422, "validation_error"),
    ({"store_id": 999999}, 404, "store_not_found"),
    ({"custom_fields": {"nope": 1}}, 422, "unknown_field"),
])
def test_bad_registrations_write_nothing(world, fields, status, code):
    client = world.api()
    before = Member.objects.count(), AuditEntry.objects.count()
    response = register(client, world, **fields)
    assert (response.status_code, error_code(response)) == (status, code)
    assert response.data["error"]["message"]
    assert (Member.objects.count(), AuditEntry.objects.count()) == before


def test_duplicate_phone_is_409_with_the_existing_member(world):
    client = world.api()
    first = register(client, world, phone="13811112222").data
    again = register(client, world, phone="138 1111 2222")
    assert again.status_code == 409 and error_code(again) == "member_exists"
    assert again.data["error"]["detail"]["member_id"] == first["id"]


def test_custom_fields_are_checked(world):
    CustomField.objects.create(merchant=world.merchant, key="skin", label="肤质", kind="choice",
                               choices=["干性", "油性"], required=True)
    CustomField.objects.create(merchant=world.merchant, key="weight", label="体重", kind="number")
    client = world.api()
    assert error_code(register(client, world)) == "field_required"
    assert error_code(register(client, world, custom_fields={"skin": "中性"})) == "invalid_field_value"
    assert error_code(register(client, world, custom_fields={"skin": "干性", "weight": "x"})) == "invalid_field_value"
    ok = register(client, world, custom_fields={"skin": "干性", "weight": "61.5"})
    assert ok.status_code == 201 and ok.data["custom_fields"] == {"skin": "干性", "weight": 61.5}


def test_closed_store_and_store_bound_staff(world):
    client = world.api()
    world.stores[1].status = "closed"
    world.stores[1].save()
    assert error_code(register(client, world, store_id=world.stores[1].pk)) == "store_closed"
    cashier = world.api(world.staff("cashier", stores=[world.stores[0]]))
    world.stores[1].status = "active"
    world.stores[1].save()
    assert register(cashier, world, store_id=world.stores[1].pk).status_code == 404
    assert register(cashier, world).status_code == 201


def test_lookup_by_phone_tail_card_code_and_name(world):
    member = make_member(world, phone="13700001234", name="李小红")
    other = make_member(world, phone="13600009999", name="王大明", store_index=1)
    client = world.api()

    def ids(q):
        return [m["id"] for m in client.get(f"/members?q={q}").data["items"]]

    assert ids("13700001234") == [member.pk]
    assert ids("1234") == [member.pk]
    assert ids(member.card_no) == [member.pk]
    assert ids(member_code(card_no=member.card_no, secret=member.code_secret)) == [member.pk]
    assert ids("小红") == [member.pk]
    old = member_code(card_no=member.card_no, secret=member.code_secret, at=timezone.now() - timedelta(minutes=3))
    assert ids(old) == []  # a screenshot of an old code finds nobody
    # a cashier of store 1 browses their store's members but finds any member by phone or card
    cashier = world.api(world.staff("cashier", stores=[world.stores[0]]))
    assert [m["id"] for m in cashier.get("/members").data["items"]] == [member.pk]
    assert [m["id"] for m in cashier.get(f"/members?q={other.card_no}").data["items"]] == [other.pk]
    assert [m["id"] for m in cashier.get("/members?q=9999").data["items"]] == []


def test_phone_is_masked_for_roles_without_full_phone(world):
    member = make_member(world, phone="13512345678")
    cashier = world.api(world.staff("cashier"))
    assert cashier.get(f"/members/{member.pk}").data["phone"] == "135****5678"
    manager = world.api(world.staff("store_manager"))
    assert manager.get(f"/members/{member.pk}").data["phone"] == "13512345678"


def test_edit_member_and_lunar_birthday(world):
    member = make_member(world)
    taken = make_member(world)
    client = world.api()
    response = client.patch(f"/members/{member.pk}", {"birthday": "1990-02-03", "birthday_is_lunar": True,
                                                      "name": "新名字"})
    assert response.status_code == 200 and response.data["name"] == "新名字"
    member.refresh_from_db()
    assert (member.lunar_birthday_month, member.lunar_birthday_day) == (1, 8)  # 1990-02-03 is 正月初八
    dup = client.patch(f"/members/{member.pk}", {"phone": taken.phone})
    assert dup.status_code == 409 and error_code(dup) == "member_exists"


def test_erase_keeps_the_money_and_removes_the_person(world):
    member = make_member(world, name="要删除", phone="13312345678", notes="VIP")
    client = world.api()
    client.post(f"/members/{member.pk}/recharge", {"store_id": world.stores[0].pk, "pay_fen": 10000,
                                                   "payment_method": "cash"})
    erased = client.post(f"/members/{member.pk}/erase").data
    assert erased["erased"] and erased["name"] == "" and erased["notes"] == ""
    assert erased["balance_fen"] == 10000
    assert not Member.objects.filter(phone="13312345678").exists()
    assert error_code(client.patch(f"/members/{member.pk}", {"name": "x"})) == "member_erased"
    assert world.api(world.staff("cashier")).post(f"/members/{member.pk}/erase").status_code == 403


def test_tags_bulk_and_filter(world, other_world):
    members = [make_member(world) for _ in range(3)]
    foreign = make_member(other_world)
    client = world.api()
    tag = client.post("/tags", {"name": "高价值"}).data
    added = client.post("/tags/assign", {"member_ids": [m.pk for m in members[:2]] + [foreign.pk],
                                         "tag_ids": [tag["id"]]})
    assert added.data == {"added": 2}
    again = client.post("/tags/assign", {"member_ids": [members[0].pk], "tag_ids": [tag["id"]]})
    assert again.data == {"added": 0}
    tagged = client.get(f"/members?tag_id={tag['id']}").data["items"]
    assert sorted(m["id"] for m in tagged) == sorted(m.pk for m in members[:2])
    assert client.delete(f"/members/{members[0].pk}/tags/{tag['id']}").status_code == 204
    assert len(client.get(f"/members?tag_id={tag['id']}").data["items"]) == 1
    assert error_code(client.post("/tags", {"name": "高价值"})) == "tag_exists"


def test_profile_records_with_their_own_fields(world):
    member = make_member(world)
    client = world.api()
    record_type = client.post("/record-types", {"name": "宠物疫苗", "fields": [
        {"key": "vaccine", "label": "疫苗", "kind": "choice", "choices": ["狂犬", "猫三联"]},
        {"key": "next_due", "label": "下次", "kind": "date"}]}).data
    ok = client.post(f"/members/{member.pk}/records", {"record_type_id": record_type["id"], "date": "2026-11-01",
                                                       "values": {"vaccine": "狂犬", "next_due": "2027-11-01"}})
    assert ok.status_code == 201 and ok.data["values"] == {"vaccine": "狂犬", "next_due": "2027-11-01"}
    bad = client.post(f"/members/{member.pk}/records", {"record_type_id": record_type["id"], "date": "2026-11-01",
                                                        "values": {"vaccine": "流感"}})
    assert error_code(bad) == "invalid_field_value"
    assert [r["record_type"] for r in client.get(f"/members/{member.pk}/records").data] == ["宠物疫苗"]
