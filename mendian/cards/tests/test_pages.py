"""The card pages: templates (list, create, edit, status) and the cards section of a member's profile."""

import re
import uuid

from django.test import Client

from mendian.cards.models import CardBalance, CardTemplate, MemberCard
from mendian.members.testing import make_member
from mendian.pos.models import Order

from .factories import make_template, sell


def logged_in(staff, language="zh-hans"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(staff)
    return client


def htmx(client, url, data):
    return client.post(url, data, headers={"HX-Request": "true"})


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def test_create_edit_pause_and_end_a_card_template(shop):
    client = logged_in(shop.owner)
    assert client.get("/cards/").status_code == 200
    form = {"name": "护理组合卡", "kind": "combo", "price_fen": "999", "validity": "from_purchase", "valid_days": "180",
            "refund_rule": "pro_rata", "item_0": shop.cut.pk, "uses_0": "5", "item_1": shop.care.pk, "uses_1": "3",
            "store_ids": [shop.stores[0].pk], "transferable": "on"}
    created = client.post("/cards/new/", form)
    assert created.status_code == 302, text(created)
    template = CardTemplate.objects.get(merchant=shop.merchant)
    assert (template.price_fen, template.store_ids, template.transferable) == (99900, [shop.stores[0].pk], True)
    assert sorted(template.items.values_list("product_id", "uses")) == sorted([(shop.cut.pk, 5), (shop.care.pk, 3)])
    listed = text(client.get("/cards/"))
    assert "护理组合卡" in listed and "洗剪吹 ×5" in listed and "¥999.00" in listed
    edited = client.post(f"/cards/{template.pk}/edit/", {**form, "price_fen": "888", "uses_1": "4"})
    assert edited.status_code == 302
    template.refresh_from_db()
    assert template.price_fen == 88800 and template.items.get(product=shop.care).uses == 4
    client.post(f"/cards/{template.pk}/status/", {"status": "paused"})
    template.refresh_from_db()
    assert template.status == "paused"
    client.post(f"/cards/{template.pk}/status/", {"status": "ended"})
    template.refresh_from_db()
    assert template.status == "ended" and template.product.is_active is False


def test_a_bad_template_form_says_why_and_makes_nothing(shop):
    client = logged_in(shop.owner)
    response = client.post("/cards/new/", {"name": "次卡", "kind": "punch", "price_fen": "100",
                                           "validity": "from_purchase", "valid_days": "30", "refund_rule": "pro_rata",
                                           "item_0": shop.cut.pk})
    assert response.status_code == 422
    assert "请输入1到10000之间的整数" in text(response) or "1" in text(response)
    assert not CardTemplate.objects.exists()
    english = logged_in(shop.owner, "en").post("/cards/new/", {"name": "x", "kind": "punch", "price_fen": "1",
                                                               "validity": "from_purchase", "valid_days": "30",
                                                               "refund_rule": "pro_rata"})
    assert "Put at least one service on the card." in text(english)


def test_a_cashier_sees_cards_but_cannot_manage_templates(shop):
    cashier = logged_in(shop.staff("cashier"))
    make_template(shop)
    page = cashier.get("/cards/")
    assert page.status_code == 200 and "/cards/new/" not in page.content.decode()
    assert cashier.get("/cards/new/").status_code == 403


def test_the_member_profile_lists_cards_and_uses_one(shop):
    card = sell(shop, make_template(shop, name="洗剪吹10次卡", items=[(shop.cut, 10)]), shop.member)
    client = logged_in(shop.staff("cashier"))
    profile = client.get(f"/members/{shop.member.pk}/")
    assert f"/members/{shop.member.pk}/cards/" in profile.content.decode()
    section = client.get(f"/members/{shop.member.pk}/cards/", headers={"HX-Request": "true"})
    assert "洗剪吹10次卡" in text(section) and "10 / 10" in text(section)
    used = htmx(client, f"/members/{shop.member.pk}/cards/{card.pk}/use/",
                {"product_id": shop.cut.pk, "store_id": shop.stores[0].pk, "once": uuid.uuid4().hex})
    assert "9 / 10" in text(used) and "已使用 洗剪吹 ×1，剩余 9 次。" in text(used)
    once = uuid.uuid4().hex
    for _ in range(2):  # a double click uses once
        htmx(client, f"/members/{shop.member.pk}/cards/{card.pk}/use/",
             {"product_id": shop.cut.pk, "store_id": shop.stores[0].pk, "once": once})
    assert CardBalance.objects.get(card=card).uses_left == 8


def test_the_profile_shows_a_refusal_and_changes_nothing(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 1)], store_ids=[shop.stores[0].pk]), shop.member)
    client = logged_in(shop.owner)
    refused = htmx(client, f"/members/{shop.member.pk}/cards/{card.pk}/use/",
                   {"product_id": shop.cut.pk, "store_id": shop.stores[1].pk, "once": uuid.uuid4().hex})
    assert refused.status_code == 200 and "该卡不能在本门店使用。" in text(refused)
    other = make_member(shop)
    foreign = htmx(client, f"/members/{other.pk}/cards/{card.pk}/use/",
                   {"product_id": shop.cut.pk, "store_id": shop.stores[0].pk, "once": uuid.uuid4().hex})
    assert "未找到该卡。" in text(foreign)
    assert CardBalance.objects.get(card=card).uses_left == 1


def test_selling_and_transferring_a_card_from_the_profile(shop):
    template = make_template(shop, name="健身月卡", kind="period", items=[(shop.care, None)], valid_days=30,
                             price_fen=30000, transferable=True)
    client = logged_in(shop.owner)
    sold = htmx(client, f"/members/{shop.member.pk}/cards/sell/", {"template_id": template.pk, "method": "wechat",
                                                                   "store_id": shop.stores[0].pk,
                                                                   "once": uuid.uuid4().hex})
    assert sold.status_code == 200 and "已售出 健身月卡" in text(sold), text(sold)
    card = MemberCard.objects.get(member=shop.member)
    order = Order.objects.get(pk=card.order_id)
    assert order.payable_fen == 30000 and order.payments.get().method == "wechat"
    friend = make_member(shop, name="朋友")
    moved = htmx(client, f"/members/{shop.member.pk}/cards/{card.pk}/transfer/",
                 {"phone": friend.phone, "once": uuid.uuid4().hex})
    assert "健身月卡 已转给 朋友。" in text(moved)
    card.refresh_from_db()
    assert card.member_id == friend.pk


def test_another_merchants_member_cards_are_404(shop, other_world):
    sell(shop, make_template(shop), shop.member)
    client = logged_in(other_world.owner)
    assert client.get(f"/members/{shop.member.pk}/cards/").status_code == 404


def test_the_order_and_its_receipt_show_the_line_paid_by_a_card(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 5)]), shop.member)
    order = shop.api().post("/orders", {"store_id": shop.stores[0].pk, "member_id": shop.member.pk, "payments": [],
                                        "lines": [{"product_id": shop.cut.pk, "qty": 1, "member_card_id": card.pk}]},
                            key=uuid.uuid4().hex).data
    client = logged_in(shop.owner)
    detail = text(client.get(f"/orders/{order['id']}/"))
    receipt = text(client.get(f"/orders/{order['id']}/receipt/"))
    assert "会员卡抵扣 −¥68.00" in detail and "洗剪吹 卡" in detail
    assert "会员卡抵扣 −¥68.00" in receipt and "洗剪吹 (卡)" in receipt
