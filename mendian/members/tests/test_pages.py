import re

from django.test import Client

from mendian.core.messaging import MemoryBackend
from mendian.loyalty.models import Level, LoyaltyAccount, PointsRule
from mendian.members.models import CustomField, Member, RecordType
from mendian.members.testing import make_member
from mendian.tenancy.models import Staff
from mendian.wallet.models import Recharge, RechargePlan, WalletAccount


def logged_in(staff):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(staff)
    return client


def test_register_search_and_profile(world):
    Level.objects.create(merchant=world.merchant, name="普通", rank=0)
    CustomField.objects.create(merchant=world.merchant, key="skin", label="肤质", kind="choice",
                               choices=["干性", "油性"])
    client = logged_in(world.staff("cashier"))
    form = {"phone": "13912340000", "name": "页面会员", "gender": "female", "birthday": "1992-05-06",
            "store": world.stores[0].pk, "notes": "", "cf_skin": "油性"}
    response = client.post("/members/new/", form)
    member = Member.objects.get(phone="13912340000")
    assert response["Location"] == f"/members/{member.pk}/"
    assert member.custom_fields == {"skin": "油性"} and member.source_channel == "counter"
    again = client.post("/members/new/", form)
    assert "已是会员" in again.content.decode() or "already" in again.content.decode()
    listed = client.get("/members/?q=0000", headers={"HX-Request": "true"}).content.decode()
    assert "页面会员" in listed and "139****0000" in listed and "<html" not in listed
    page = client.get(f"/members/{member.pk}/").content.decode()
    assert "页面会员" in page and "油性" in page and "139****0000" in page


def test_recharge_form_counts_once_even_when_sent_twice(world):
    plan = RechargePlan.objects.create(merchant=world.merchant, name="充300送150", pay_fen=30000, bonus_fen=15000)
    member = make_member(world)
    client = logged_in(world.staff("cashier"))
    page = client.get(f"/members/{member.pk}/").content.decode()
    once = re.search(r'name="once" value="([0-9a-f]+)"', page).group(1)
    body = {"store": world.stores[0].pk, "plan": plan.pk, "payment_method": "wechat", "once": once}
    client.post(f"/members/{member.pk}/recharge/", body)
    client.post(f"/members/{member.pk}/recharge/", body)  # a double click
    account = WalletAccount.objects.get(member=member)
    assert (account.principal_fen, account.bonus_fen) == (30000, 15000)
    assert Recharge.objects.filter(member=member).count() == 1
    free = client.post(f"/members/{member.pk}/recharge/", {"store": world.stores[0].pk, "plan": "",
                                                           "pay_fen": "88.8", "payment_method": "cash",
                                                           "once": "other"})
    assert free.status_code == 302
    assert WalletAccount.objects.get(member=member).principal_fen == 38880


def test_points_level_record_and_tags_on_the_profile(world):
    Level.objects.create(merchant=world.merchant, name="普通", rank=0)
    gold = Level.objects.create(merchant=world.merchant, name="金卡", rank=1)
    record_type = RecordType.objects.create(merchant=world.merchant, name="皮肤检测",
                                            fields=[{"key": "score", "label": "评分", "kind": "number", "choices": []}])
    member = make_member(world)
    client = logged_in(world.staff("store_manager"))
    client.post(f"/members/{member.pk}/points/", {"delta": "120", "note": "活动补偿", "once": "k1"})
    client.post(f"/members/{member.pk}/level/", {"level": gold.pk, "reason": "老客户"})
    client.post(f"/members/{member.pk}/records/", {"record_type": record_type.pk, "date": "2026-11-01",
                                                   "values": "score: 87", "notes": "良好"})
    client.post(f"/members/{member.pk}/tags/", {"new_tag": "敏感肌"})
    account = LoyaltyAccount.objects.get(member=member)
    assert (account.points, account.level) == (120, gold)
    assert member.records.get().values == {"score": 87}
    page = client.get(f"/members/{member.pk}/").content.decode()
    assert "活动补偿" in page and "敏感肌" in page and "皮肤检测" in page
    refused = client.post(f"/members/{member.pk}/points/", {"delta": "-500", "note": "扣", "once": "k2"},
                          follow=True)
    assert "积分不足" in refused.content.decode()


def test_bulk_tag_everyone_matching_the_filter(world):
    members = [make_member(world, name=f"批量{i}") for i in range(3)]
    make_member(world, name="其他")
    client = logged_in(world.owner)
    client.post("/members/tag/", {"new_tag": "活动A", "scope": "filter", "query": "q=批量"})
    tagged = Member.objects.filter(member_tags__tag__name="活动A")
    assert sorted(m.pk for m in tagged) == sorted(m.pk for m in members)


def test_settings_pages(world):
    client = logged_in(world.owner)
    client.post("/settings/loyalty/", {"action": "level", "name": "银卡", "rank": "1", "upgrade_by": "spend",
                                       "threshold_yuan": "1000", "discount_pct": "95",
                                       "points_multiplier_pct": "120"})
    level = Level.objects.get(merchant=world.merchant, name="银卡")
    assert (level.threshold, level.discount_pct) == (100000, 95)
    client.post("/settings/loyalty/", {"action": "rule", "points_per_yuan": "2", "redeem_points": "100",
                                       "redeem_fen": "1", "max_redeem_pct": "50", "register_points": "10",
                                       "birthday_points": "0"})
    assert PointsRule.objects.get(merchant=world.merchant).redeem_fen == 100
    client.post("/settings/recharge-plans/", {"name": "充500送300", "pay_fen": "500", "bonus_fen": "300",
                                              "stores": [world.stores[1].pk], "is_active": "on", "sort_order": "0"})
    plan = RechargePlan.objects.get(merchant=world.merchant)
    assert (plan.pay_fen, plan.bonus_fen, [s.pk for s in plan.stores.all()]) == (50000, 30000, [world.stores[1].pk])
    client.post("/members/settings/", {"action": "field", "key": "pet_name", "label": "宠物名", "kind": "text"})
    assert CustomField.objects.filter(merchant=world.merchant, key="pet_name").exists()
    report = client.get("/reports/stored-value/").content.decode()
    assert "liability-chart" in report
    assert logged_in(world.staff("cashier")).get("/settings/loyalty/").status_code == 403


def test_self_signup_with_a_texted_code_and_the_rotating_card(world):
    store = world.stores[0]
    cashier = world.staff("cashier")
    MemoryBackend.outbox.clear()
    client = Client(headers={"Accept-Language": "zh-hans"})
    url = f"/join/{store.signup_code}/?staff={cashier.pk}&leaflet=L-88"
    assert store.name in client.get(url).content.decode()
    sent = client.post(f"/join/{store.signup_code}/code/", {"phone": "13955556666"}).content.decode()
    assert "验证码已发送" in sent or "Code sent" in sent
    too_soon = client.post(f"/join/{store.signup_code}/code/", {"phone": "13955556666"}).content.decode()
    assert "text-danger" in too_soon
    code = re.search(r"(\d{6})", MemoryBackend.outbox[-1].text).group(1)
    wrong = client.post(url, {"phone": "13955556666", "code": "000000" if code != "000000" else "111111",
                              "name": "扫码客"})
    assert wrong.status_code == 200 and not Member.objects.filter(phone="13955556666").exists()
    client.get(url)
    response = client.post(url, {"phone": "13955556666", "code": code, "name": "扫码客", "gender": "male"})
    assert response["Location"] == "/m/card/"
    member = Member.objects.get(phone="13955556666")
    assert (member.source_channel, member.source_staff, member.leaflet_code) == ("self_signup", cashier, "L-88")
    card = client.get("/m/card/").content.decode()
    assert member.card_no in card and "<svg" in card and 'data-testid="member-code"' in card
    assert Client().get("/m/card/").status_code == 404
    assert Staff.objects.filter(pk=cashier.pk).exists()
