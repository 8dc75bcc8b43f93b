import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from mendian.analytics.conditions import Scope, matching_members, parse
from mendian.analytics.models import Segment
from mendian.core.testing.api import error_code
from mendian.loyalty.models import Level, LoyaltyAccount
from mendian.members.models import CustomField, Member, MemberTag, Tag
from mendian.members.testing import make_member
from mendian.pos.services.refunds import order_refund
from mendian.pos.testing import make_product
from mendian.promotions.coupons import issue_coupons, template_create
from mendian.promotions.models import Coupon
from mendian.wallet.services import wallet_recharge

from .helpers import order_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shop(world):
    """Members of 甲: 阿花 bought the serum 40 days ago (¥300); 小白 came twice in the last week (¥50 each,
    one refunded in full); 老陈 never bought; 小李 registered in the second store bought a cut today."""
    now = timezone.now()
    world.serum = make_product(world, name="精华", price_fen=30000)
    world.cut = make_product(world, name="洗剪吹", kind="service", price_fen=5000)
    world.hua = make_member(world, name="阿花", gender="female", birthday=date(1990, 5, 20))
    world.bai = make_member(world, name="小白", gender="male", birthday=date(2001, 12, 1))
    world.chen = make_member(world, name="老陈", gender="male")
    world.li = make_member(world, name="小李", store_index=1, gender="female")
    order_at(world, now - timedelta(days=40), member=world.hua, lines=[(world.serum, 1)])
    order_at(world, now - timedelta(days=3), member=world.bai, lines=[(world.cut, 1)])
    refunded = order_at(world, now - timedelta(days=2), member=world.bai, lines=[(world.cut, 1)])
    order_refund(access=world.access(), order=refunded, reason="不满意")
    order_at(world, now, member=world.li, lines=[(world.cut, 1)], store_index=1)
    return world


def names(world, definition, **scope):
    group = parse(definition, merchant_id=world.merchant.pk)
    scope = Scope(merchant_id=world.merchant.pk, tz_name="Asia/Shanghai", now=timezone.now(), **scope)
    return sorted(matching_members(group, scope).values_list("name", flat=True))


def only(field, op, value, days=None):
    condition = {"field": field, "op": op, "value": value}
    if days is not None:
        condition["days"] = days
    return {"match": "all", "conditions": [condition]}


def test_behaviour_in_a_period_is_net_of_refunds_and_counts_members_with_nothing_as_zero(shop):
    assert names(shop, only("spend_fen_in_days", "gte", 30000, 60)) == ["阿花"]
    assert names(shop, only("spend_fen_in_days", "gte", 30000, 30)) == []  # her order is 40 days old
    # 小白 paid ¥100 in the week but ¥50 came back: net ¥50
    assert names(shop, only("spend_fen_in_days", "eq", 5000, 7)) == ["小李", "小白"]
    # "less than ¥10" includes everyone with nothing in the period
    assert names(shop, only("spend_fen_in_days", "lt", 1000, 7)) == ["老陈", "阿花"]
    assert names(shop, only("orders_in_days", "eq", 1, 7)) == ["小李", "小白"]  # the refunded order does not count
    assert names(shop, only("orders_in_days", "eq", 0, 7)) == ["老陈", "阿花"]
    assert names(shop, only("bought_product_id", "eq", shop.serum.pk, 60)) == ["阿花"]
    assert names(shop, only("bought_product_id", "ne", shop.serum.pk, 60)) == ["小李", "小白", "老陈"]
    assert names(shop, only("bought_product_id", "in", [shop.serum.pk, shop.cut.pk], 60)) == ["小李", "小白", "阿花"]
    assert names(shop, only("days_since_last_order", "gte", 30)) == ["阿花"]
    assert names(shop, only("days_since_last_order", "eq", 0)) == ["小李"]
    assert names(shop, only("total_spent_fen", "gt", 0)) == ["小李", "小白", "阿花"]


def test_attributes_groups_and_any(shop):
    assert names(shop, only("gender", "eq", "female")) == ["小李", "阿花"]
    assert names(shop, only("registered_store_id", "eq", shop.stores[1].pk)) == ["小李"]
    assert names(shop, only("birthday_month", "in", [5, 12])) == ["小白", "阿花"]
    today = timezone.now().astimezone(SHANGHAI).date()
    hua_age = today.year - 1990 - ((today.month, today.day) < (5, 20))
    assert names(shop, only("age", "eq", hua_age)) == ["阿花"]
    assert names(shop, only("age", "gte", 100)) == []
    either = {"match": "any", "conditions": [
        {"field": "gender", "op": "eq", "value": "male"},
        {"match": "all", "conditions": [{"field": "gender", "op": "eq", "value": "female"},
                                        {"field": "spend_fen_in_days", "op": "gte", "value": 1, "days": 7}]},
    ]}
    assert names(shop, either) == ["小李", "小白", "老陈"]
    assert names(shop, {"match": "all", "conditions": []}) == ["小李", "小白", "老陈", "阿花"]
    # a store-bound viewer sees their store's members only
    assert names(shop, {"match": "all", "conditions": []}, store_ids=frozenset([shop.stores[0].pk])) == \
        ["小白", "老陈", "阿花"]


def test_tags_levels_balance_points_and_custom_fields(shop):
    vip = Tag.objects.create(merchant=shop.merchant, name="VIP")
    MemberTag.objects.create(merchant=shop.merchant, member=shop.chen, tag=vip)
    gold = Level.objects.create(merchant=shop.merchant, name="金卡", rank=2, threshold=10**9)
    LoyaltyAccount.objects.filter(member=shop.bai).update(level=gold, points=5000)
    wallet_recharge(access=shop.access(), member=shop.hua, store=shop.stores[0], pay_fen=20000, payment_method="cash")
    CustomField.objects.create(merchant=shop.merchant, key="pet", label="宠物", kind="choice", choices=["猫", "狗"])
    Member.objects.filter(pk=shop.li.pk).update(custom_fields={"pet": "猫"})
    assert names(shop, only("tag_id", "eq", vip.pk)) == ["老陈"]
    assert names(shop, only("tag_id", "ne", vip.pk)) == ["小李", "小白", "阿花"]
    assert names(shop, only("level_id", "eq", gold.pk)) == ["小白"]
    assert names(shop, only("points", "gte", 1000)) == ["小白"]
    assert names(shop, only("balance_fen", "gte", 20000)) == ["阿花"]
    assert names(shop, only("custom.pet", "eq", "猫")) == ["小李"]
    assert names(shop, only("custom.pet", "ne", "猫")) == []  # members without the field never match


def test_used_a_coupon_and_recharged(shop):
    template = template_create(access=shop.access(), name="减5元", kind="voucher", amount_fen=500, min_spend_fen=0)
    with transaction.atomic():
        issued = issue_coupons(template=template, member_ids=[shop.chen.pk], when=timezone.now(),
                               tz_name="Asia/Shanghai")
    Coupon.objects.filter(pk=issued.coupon_ids[0]).update(status="used", used_at=timezone.now())
    assert names(shop, only("used_coupon", "eq", True, 30)) == ["老陈"]
    assert "老陈" not in names(shop, only("used_coupon", "eq", False, 30))
    wallet_recharge(access=shop.access(), member=shop.bai, store=shop.stores[0], pay_fen=30000, payment_method="cash")
    assert names(shop, only("recharge_fen_in_days", "gte", 30000, 1)) == ["小白"]


@pytest.mark.parametrize("definition,reason", [
    (only("favourite_colour", "eq", "red"), "unknown_field"),
    (only("gender", "gt", "male"), "op_not_allowed"),
    (only("spend_fen_in_days", "gte", 100), "days_required"),
    (only("spend_fen_in_days", "gte", 100, 0), "days_required"),
    (only("spend_fen_in_days", "gte", 100, 99999), "days_required"),
])
def test_unknown_fields_and_misfitting_operators_are_invalid_conditions(world, definition, reason):
    client = world.api()
    response = client.post("/segments/preview", definition)
    assert (response.status_code, error_code(response)) == (422, "invalid_condition"), response.data
    assert response.data["error"]["detail"]["reason"] == reason
    assert response.data["error"]["detail"]["path"] == "/0"


@pytest.mark.parametrize("body", [
    {"match": "some", "conditions": []},
    {"match": "all", "conditions": "gender=male"},
    {"match": "all", "conditions": [42]},
    {"match": "all", "conditions": [{"field": "gender", "op": "in", "value": "male"}]},
    {"match": "all", "conditions": [{"field": "gender", "op": "eq", "value": ["male"]}]},
    {"match": "all", "conditions": [{"field": "gender", "op": "eq", "value": "robot"}]},
    {"match": "all", "conditions": [{"field": "points", "op": "gt", "value": "many"}]},
    {"match": "all", "conditions": [{"field": "points", "op": "gt", "value": True}]},
    {"match": "all", "conditions": [{"field": "birthday_month", "op": "eq", "value": 13}]},
    {"match": "all", "conditions": [{"field": "gender", "op": "eq"}]},
    {"match": "all", "conditions": [{"field": "gender", "op": "eq", "value": "male", "days": 5}]},
    {"match": "all", "conditions": [{"field": "gender", "op": "eq", "value": "male", "colour": 1}]},
    {"match": "all", "conditions": [{"match": "any", "conditions": [{"match": "all", "conditions": [
        {"match": "all", "conditions": []}]}]}]},
])
def test_malformed_definitions_are_refused_never_a_500(world, body):
    response = world.api().post("/segments/preview", body)
    assert (response.status_code, error_code(response)) == (422, "invalid_condition"), response.data
    assert response.data["error"]["message"]


def test_save_list_read_change_and_delete_a_segment(shop):
    client = shop.api()
    body = {"name": "近60天买过精华", "match": "all",
            "conditions": [{"field": "bought_product_id", "op": "eq", "value": shop.serum.pk, "days": 60}]}
    assert client.post("/segments/preview", body).data == {"count": 1}
    created = client.post("/segments", body, key=str(uuid.uuid4()))
    assert created.status_code == 201, created.data
    assert (created.data["name"], created.data["count"]) == ("近60天买过精华", 1)
    again = client.post("/segments", body, key=str(uuid.uuid4()))
    assert (again.status_code, error_code(again)) == (409, "segment_name_taken")
    segment_id = created.data["id"]
    members = client.get(f"/segments/{segment_id}/members").data["items"]
    assert [m["name"] for m in members] == ["阿花"]
    assert "*" in members[0]["phone"] or members[0]["phone"] == shop.hua.phone
    # the segment stays current: 老陈 buys the serum, and is in it when it is read again
    order_at(shop, timezone.now(), member=shop.chen, lines=[(shop.serum, 1)])
    assert client.get(f"/segments/{segment_id}").data["count"] == 2
    changed = client.patch(f"/segments/{segment_id}", {"conditions": [
        {"field": "bought_product_id", "op": "eq", "value": shop.serum.pk, "days": 30}]}, key=str(uuid.uuid4()))
    assert changed.status_code == 200 and changed.data["count"] == 1
    assert [s["id"] for s in client.get("/segments").data["items"]] == [segment_id]
    assert client.delete(f"/segments/{segment_id}", key=str(uuid.uuid4())).status_code == 204
    assert not Segment.objects.filter(pk=segment_id).exists()
    assert client.get(f"/segments/{segment_id}").status_code == 404


def test_another_merchants_segment_and_data_stay_apart(shop, other_world):
    segment = shop.api().post("/segments", {"name": "全部", "conditions": []}, key=str(uuid.uuid4())).data
    other = other_world.api()
    assert other.get(f"/segments/{segment['id']}").status_code == 404
    assert other.get(f"/segments/{segment['id']}/members").status_code == 404
    make_member(other_world, name="乙会员")
    assert other.post("/segments/preview", {"conditions": []}).data == {"count": 1}
    # a product, tag or store of another merchant is not found, like any of its objects
    foreign = make_product(other_world, name="乙商品")
    refused = other.post("/segments/preview", only("bought_product_id", "eq", shop.serum.pk, 60))
    assert (refused.status_code, error_code(refused)) == (404, "product_not_found")
    refused = shop.api().post("/segments/preview", only("bought_product_id", "in", [shop.serum.pk, foreign.pk], 60))
    assert (refused.status_code, error_code(refused)) == (404, "product_not_found")
    refused = other.post("/segments/preview", only("registered_store_id", "eq", shop.stores[0].pk))
    assert (refused.status_code, error_code(refused)) == (404, "store_not_found")


def test_store_bound_staff_count_their_stores_and_cannot_ask_about_others(shop):
    manager = shop.staff("store_manager", stores=[shop.stores[0]])
    client = shop.api(manager)
    assert client.post("/segments/preview", {"conditions": []}).data == {"count": 3}
    refused = client.post("/segments/preview", only("registered_store_id", "eq", shop.stores[1].pk))
    assert (refused.status_code, error_code(refused)) == (403, "store_forbidden")
    cashier = shop.api(shop.staff("cashier", stores=[shop.stores[0]]))
    assert cashier.post("/segments/preview", {"conditions": []}).status_code == 403


def test_the_local_day_decides_the_period(world):
    """An order at 23:30 Shanghai time eight days ago is outside "the last 8 days" (today and the seven
    before); one at 00:10 seven days ago is inside (the UTC dates of both differ from the local ones)."""
    cut = make_product(world, name="剪发", price_fen=1000)
    today = timezone.now().astimezone(SHANGHAI).date()
    early, late = make_member(world, name="早"), make_member(world, name="晚")
    day = today - timedelta(days=7)
    order_at(world, datetime(day.year, day.month, day.day, 0, 10, tzinfo=SHANGHAI), member=early, lines=[(cut, 1)])
    day = today - timedelta(days=8)
    order_at(world, datetime(day.year, day.month, day.day, 23, 30, tzinfo=SHANGHAI), member=late, lines=[(cut, 1)])
    assert names(world, only("orders_in_days", "gte", 1, 8)) == ["早"]
    assert names(world, only("orders_in_days", "gte", 1, 9)) == ["早", "晚"]
    assert names(world, only("days_since_last_order", "eq", 7)) == ["早"]
    assert names(world, only("days_since_last_order", "eq", 8)) == ["晚"]


def test_coupons_issued_to_a_segment_reach_its_members_once(shop, other_world):
    from mendian.promotions.issuing import issue_run_execute

    client = shop.api()
    segment = client.post("/segments", {"name": "女士", "conditions": [{"field": "gender", "op": "eq",
                                                                       "value": "female"}]},
                          key=str(uuid.uuid4())).data
    template = template_create(access=shop.access(), name="女神券", kind="voucher", amount_fen=1000, min_spend_fen=0)
    run = client.post("/coupon-issue-runs", {"template_id": template.pk, "target": "segment",
                                             "segment_id": segment["id"]}, key=str(uuid.uuid4()))
    assert run.status_code == 202, run.data
    assert run.data["members_total"] == 2
    issue_run_execute(run_id=run.data["id"])
    issue_run_execute(run_id=run.data["id"])  # a second try issues nothing more
    holders = sorted(Coupon.objects.filter(template=template).values_list("member__name", flat=True))
    assert holders == ["小李", "阿花"]
    foreign = other_world.api().post("/segments", {"name": "乙", "conditions": []}, key=str(uuid.uuid4())).data
    refused = client.post("/coupon-issue-runs", {"template_id": template.pk, "target": "segment",
                                                 "segment_id": foreign["id"]}, key=str(uuid.uuid4()))
    assert (refused.status_code, error_code(refused)) == (404, "segment_not_found")
    missing = client.post("/coupon-issue-runs", {"template_id": template.pk, "target": "segment"},
                          key=str(uuid.uuid4()))
    assert (missing.status_code, error_code(missing)) == (422, "segment_required")


def test_the_coupon_page_issues_to_a_segment_chosen_from_the_segment(shop):
    from django.test import Client

    segment = shop.api().post("/segments", {"name": "男士", "conditions": [{"field": "gender", "op": "eq",
                                                                         "value": "male"}]},
                              key=str(uuid.uuid4())).data
    template = template_create(access=shop.access(), name="绅士券", kind="voucher", amount_fen=1000, min_spend_fen=0)
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(shop.owner)
    listing = client.get(f"/coupons/?segment={segment['id']}").content.decode()
    assert f"/coupons/{template.pk}/?segment={segment['id']}#issue" in listing
    detail = client.get(f"/coupons/{template.pk}/?segment={segment['id']}").content.decode()
    assert f'<option value="{segment["id"]}" selected>男士 (2)</option>' in detail
    done = client.post(f"/coupons/{template.pk}/issue/", {"segment_id": segment["id"]})
    assert done.status_code == 302
    from mendian.promotions.models import IssueRun

    run = IssueRun.objects.get(template=template)
    assert (run.target, run.filters, run.members_total) == ("segment", {"segment_id": segment["id"]}, 2)


def test_uses_left_on_cards(shop):
    from mendian.cards.services import card_use
    from mendian.cards.tests.factories import make_template, sell

    template = make_template(shop, items=[(shop.cut, 3)], price_fen=12000, name="剪发3次卡")
    sell(shop, template, shop.hua)
    card = sell(shop, template, shop.bai)
    card_use(access=shop.access(), member_card_id=card.pk, product_id=shop.cut.pk, store_id=shop.stores[0].pk, qty=2)
    assert names(shop, only("card_uses_left", "gte", 3)) == ["阿花"]
    assert names(shop, only("card_uses_left", "eq", 1)) == ["小白"]
    # members without a card have none left
    assert names(shop, only("card_uses_left", "eq", 0)) == ["小李", "老陈"]
