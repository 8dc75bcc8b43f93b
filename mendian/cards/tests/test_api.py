"""API.md "Cards": templates, selling through the checkout, members' cards, uses and their refusals."""

import uuid

from django.core.management import call_command

from mendian.cards.models import CardBalance, CardUse, MemberCard
from mendian.core.testing.api import error_code
from mendian.members.testing import make_member
from mendian.pos.models import Order
from mendian.pos.testing import make_product
from mendian.wallet.models import RechargePlan, WalletAccount
from mendian.wallet.services import wallet_recharge

from .factories import make_template, sell


def key():
    return str(uuid.uuid4())


def test_templates_of_the_three_kinds_are_created_and_listed(shop):
    client = shop.api()
    punch = client.post("/card-templates", {"name": "洗剪吹10次卡", "kind": "punch", "price_fen": 68000,
                                            "items": [{"product_id": shop.cut.pk, "uses": 10}], "valid_days": 365})
    assert punch.status_code == 201, punch.data
    assert punch.data["items"] == [{"product_id": shop.cut.pk, "name": "洗剪吹", "uses": 10}]
    assert punch.data["status"] == "active" and punch.data["refund_rule"] == "pro_rata"
    combo = client.post("/card-templates", {"name": "护理组合卡", "kind": "combo", "price_fen": 99900,
                                            "items": [{"product_id": shop.cut.pk, "uses": 5},
                                                      {"product_id": shop.care.pk, "uses": 3}],
                                            "valid_days": 180, "store_ids": [shop.stores[0].pk],
                                            "transferable": True, "refund_rule": "unused_only"})
    assert combo.status_code == 201, combo.data
    assert combo.data["store_ids"] == [shop.stores[0].pk] and combo.data["transferable"] is True
    period = client.post("/card-templates", {"name": "健身月卡", "kind": "period", "price_fen": 30000,
                                             "items": [{"product_id": shop.care.pk}], "valid_days": 30,
                                             "daily_limit": 1, "validity": "from_first_use"})
    assert period.status_code == 201, period.data
    assert period.data["items"][0]["uses"] is None and period.data["daily_limit"] == 1
    listed = client.get("/card-templates")
    assert [t["name"] for t in listed.data["items"]] == ["健身月卡", "护理组合卡", "洗剪吹10次卡"]


def test_bad_templates_are_refused_and_nothing_is_made(shop, other_world):
    client = shop.api()
    foreign = make_product(other_world, kind="service")
    cases = [
        ({"kind": "punch", "items": [{"product_id": shop.cut.pk, "uses": 10}, {"product_id": shop.care.pk,
                                                                              "uses": 1}]}, 422,
         "punch_one_service"),
        ({"kind": "period", "items": [{"product_id": shop.cut.pk, "uses": 10}]}, 422, "period_no_uses"),
        ({"kind": "punch", "items": [{"product_id": shop.cut.pk, "uses": 0}]}, 422, "invalid_uses"),
        ({"kind": "punch", "items": [{"product_id": shop.cut.pk}]}, 422, "invalid_uses"),
        ({"kind": "punch", "items": [{"product_id": shop.goods.pk, "uses": 3}]}, 422, "not_a_service"),
        ({"kind": "punch", "items": [{"product_id": foreign.pk, "uses": 3}]}, 404, "product_not_found"),
        ({"kind": "punch", "items": [{"product_id": shop.cut.pk, "uses": 3}], "store_ids": [other_world.stores[0].pk]},
         404, "store_not_found"),
        ({"kind": "punch", "items": [{"product_id": shop.cut.pk, "uses": 3}], "valid_days": None}, 422,
         "valid_days_required"),
        ({"kind": "punch", "items": [{"product_id": shop.cut.pk, "uses": 3}], "price_fen": -1}, 422,
         "validation_error"),
    ]
    for fields, status, code in cases:
        body = {"name": "卡", "price_fen": 100, "valid_days": 30, **fields}
        response = client.post("/card-templates", body)
        assert (response.status_code, error_code(response)) == (status, code), (fields, response.data)
    assert client.get("/card-templates").data["items"] == []


def test_a_template_is_edited_paused_and_ended(shop):
    client = shop.api()
    template = make_template(shop)
    edited = client.patch(f"/card-templates/{template.pk}", {"price_fen": 59900, "name": "洗剪吹次卡"})
    assert edited.status_code == 200 and edited.data["price_fen"] == 59900
    template.product.refresh_from_db()
    assert (template.product.name, template.product.price_fen, template.product.kind) == ("洗剪吹次卡", 59900, "card")
    paused = client.post(f"/card-templates/{template.pk}/status", {"status": "paused"})
    assert paused.data["status"] == "paused"
    template.product.refresh_from_db()
    assert template.product.is_active is False
    sold = client.post(f"/members/{shop.member.pk}/cards", {"template_id": template.pk, "store_id": shop.stores[0].pk,
                                                            "payments": [{"method": "cash", "amount_fen": 59900}]},
                       key=key())
    assert (sold.status_code, error_code(sold)) == (422, "product_inactive")
    client.post(f"/card-templates/{template.pk}/status", {"status": "ended"})
    again = client.post(f"/card-templates/{template.pk}/status", {"status": "active"})
    assert (again.status_code, error_code(again)) == (409, "card_template_ended")


def test_selling_a_card_with_stored_value_through_the_api_is_idempotent(shop):
    plan = RechargePlan.objects.create(merchant=shop.merchant, name="充1000送200", pay_fen=100000, bonus_fen=20000)
    wallet_recharge(access=shop.access(), member=shop.member, store=shop.stores[0], pay_fen=100000, plan=plan,
                    payment_method="cash")
    template = make_template(shop, price_fen=60000)
    client = shop.api()
    body = {"template_id": template.pk, "store_id": shop.stores[0].pk,
            "payments": [{"method": "stored_value", "amount_fen": 60000}]}
    sale_key = key()
    sold = client.post(f"/members/{shop.member.pk}/cards", body, key=sale_key)
    assert sold.status_code == 201, sold.data
    assert sold.data["remaining"] == [{"product_id": shop.cut.pk, "name": "洗剪吹", "uses_total": 10, "uses_left": 10,
                                       "used": 0}]
    assert sold.data["status"] == "active" and sold.data["paid_fen"] == 60000
    again = client.post(f"/members/{shop.member.pk}/cards", body, key=sale_key)
    assert again.status_code == 201 and again.data["id"] == sold.data["id"]
    assert MemberCard.objects.filter(member=shop.member).count() == 1
    wallet = WalletAccount.objects.get(member=shop.member)
    # 600 taken in proportion: bonus part 60000 × 20000 / 120000 = 10000
    assert (wallet.principal_fen, wallet.bonus_fen) == (100000 - 50000, 20000 - 10000)
    listed = client.get(f"/members/{shop.member.pk}/cards")
    assert [c["id"] for c in listed.data["items"]] == [sold.data["id"]]
    call_command("check_ledgers")


def test_a_sale_that_does_not_pay_the_price_sells_nothing(shop):
    template = make_template(shop, price_fen=60000)
    client = shop.api()
    response = client.post(f"/members/{shop.member.pk}/cards", {
        "template_id": template.pk, "store_id": shop.stores[0].pk,
        "payments": [{"method": "stored_value", "amount_fen": 60000}]}, key=key())
    assert (response.status_code, error_code(response)) == (409, "insufficient_balance")
    short = client.post(f"/members/{shop.member.pk}/cards", {
        "template_id": template.pk, "store_id": shop.stores[0].pk,
        "payments": [{"method": "cash", "amount_fen": 100}]}, key=key())
    assert (short.status_code, error_code(short)) == (422, "payment_mismatch")
    assert not MemberCard.objects.exists() and not Order.objects.exists() and not CardUse.objects.exists()


def test_a_card_template_limited_to_stores_is_sold_only_there(shop):
    template = make_template(shop, store_ids=[shop.stores[0].pk])
    response = shop.api().post(f"/members/{shop.member.pk}/cards", {
        "template_id": template.pk, "store_id": shop.stores[1].pk,
        "payments": [{"method": "cash", "amount_fen": template.price_fen}]}, key=key())
    assert (response.status_code, error_code(response)) == (422, "card_not_valid_here")
    quote = shop.api().post("/orders/quote", {"store_id": shop.stores[1].pk, "member_id": shop.member.pk,
                                              "lines": [{"product_id": template.product_id, "qty": 1}]})
    assert (quote.status_code, error_code(quote)) == (422, "card_not_valid_here")
    assert not MemberCard.objects.exists() and not Order.objects.exists()


def test_using_a_card_through_the_api_and_every_refusal(shop):
    template = make_template(shop, items=[(shop.cut, 2)], store_ids=[shop.stores[0].pk])
    card = sell(shop, template, shop.member)
    client = shop.api()
    path = f"/member-cards/{card.pk}/use"
    body = {"product_id": shop.cut.pk, "store_id": shop.stores[0].pk}
    used = client.post(path, body, key=key())
    assert used.status_code == 200, used.data
    assert used.data["remaining"][0]["uses_left"] == 1 and used.data["use"]["delta"] == -1
    assert used.data["use"]["served_by_id"] == shop.owner.pk
    refusals = [
        ({**body, "store_id": shop.stores[1].pk}, 422, "card_not_valid_here"),
        ({**body, "product_id": shop.care.pk}, 422, "product_not_on_card"),
        ({**body, "qty": 0}, 422, "validation_error"),
        ({**body, "qty": -3}, 422, "validation_error"),
        ({**body, "qty": 2}, 409, "card_exhausted"),
    ]
    for payload, status, code in refusals:
        response = client.post(path, payload, key=key())
        assert (response.status_code, error_code(response)) == (status, code), (payload, response.data)
    missing = client.post(f"/member-cards/{card.pk + 1000}/use", body, key=key())
    assert (missing.status_code, error_code(missing)) == (404, "card_not_found")
    last = client.post(path, body, key=key())
    assert last.status_code == 200 and last.data["status"] == "used_up"
    exhausted = client.post(path, body, key=key())
    assert (exhausted.status_code, error_code(exhausted)) == (409, "card_exhausted")
    assert exhausted.data["error"]["message"] == "该卡此项服务已无剩余次数。"
    english = client.post(path, body, key=key(), language="en")
    assert english.data["error"]["message"] == "This card has no uses left for this service."
    assert CardBalance.objects.get(card=card).uses_left == 0
    assert CardUse.objects.filter(card=card, kind="use").count() == 2


def test_an_expired_card_is_409_card_expired(shop):
    from datetime import timedelta

    from django.utils import timezone

    card = sell(shop, make_template(shop), shop.member)
    MemberCard.objects.filter(pk=card.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    response = shop.api().post(f"/member-cards/{card.pk}/use", {"product_id": shop.cut.pk,
                                                                 "store_id": shop.stores[0].pk}, key=key())
    assert (response.status_code, error_code(response)) == (409, "card_expired")
    assert shop.api().get(f"/members/{shop.member.pk}/cards").data["items"][0]["status"] == "expired"


def test_another_merchants_cards_and_templates_are_404(shop, other_world):
    template = make_template(shop)
    card = sell(shop, template, shop.member)
    client = other_world.api()
    outsider = make_member(other_world)
    for response, code in [
        (client.get(f"/member-cards/{card.pk}"), "card_not_found"),
        (client.get(f"/member-cards/{card.pk}/entries"), "card_not_found"),
        (client.post(f"/member-cards/{card.pk}/use", {"product_id": shop.cut.pk,
                                                      "store_id": other_world.stores[0].pk}, key=key()),
         "card_not_found"),
        (client.get(f"/card-templates/{template.pk}"), "card_template_not_found"),
        (client.patch(f"/card-templates/{template.pk}", {"price_fen": 1}), "card_template_not_found"),
        (client.get(f"/members/{shop.member.pk}/cards"), "member_not_found"),
        (client.post(f"/members/{outsider.pk}/cards", {"template_id": template.pk,
                                                       "store_id": other_world.stores[0].pk, "payments": [
                                                           {"method": "cash", "amount_fen": template.price_fen}]},
                     key=key()), "card_template_not_found"),
        (client.post(f"/member-cards/{card.pk}/transfer", {"member_id": outsider.pk}, key=key()), "card_not_found"),
    ]:
        assert (response.status_code, error_code(response)) == (404, code), response.data
    assert client.get("/card-templates").data["items"] == []
    assert CardBalance.objects.get(card=card).uses_left == 10


def test_a_use_is_given_back_through_the_api(shop):
    card = sell(shop, make_template(shop, items=[(shop.cut, 3)]), shop.member)
    client = shop.api()
    used = client.post(f"/member-cards/{card.pk}/use", {"product_id": shop.cut.pk, "store_id": shop.stores[0].pk},
                       key=key())
    back = client.post(f"/card-uses/{used.data['use']['id']}/reverse", {"reason": "扫错了"}, key=key())
    assert back.status_code == 200 and back.data["remaining"][0]["uses_left"] == 3
    twice = client.post(f"/card-uses/{used.data['use']['id']}/reverse", {"reason": "扫错了"}, key=key())
    assert (twice.status_code, error_code(twice)) == (409, "card_use_already_reversed")
    entries = client.get(f"/member-cards/{card.pk}/entries").data["items"]
    assert [(e["kind"], e["delta"]) for e in entries] == [("reverse", 1), ("use", -1), ("issue", 3)]


def test_fixed_dates_without_an_offset_are_the_merchants_local_time(shop):
    response = shop.api().post("/card-templates", {
        "name": "年终卡", "kind": "punch", "price_fen": 100, "validity": "fixed",
        "valid_from": "2030-01-01T00:00:00+08:00", "valid_until": "2030-12-31T23:59:59",
        "items": [{"product_id": shop.cut.pk, "uses": 3}]})
    assert response.status_code == 201, response.data
    assert response.data["valid_until"].startswith("2030-12-31T15:59:59")  # UTC of 23:59:59 in Shanghai
    assert response.data["valid_days"] is None


def test_a_period_card_over_its_daily_cap_is_409_through_the_api(shop):
    card = sell(shop, make_template(shop, kind="period", items=[(shop.cut, None)], daily_limit=1, valid_days=30),
                shop.member)
    client = shop.api()
    body = {"product_id": shop.cut.pk, "store_id": shop.stores[0].pk}
    first = client.post(f"/member-cards/{card.pk}/use", body, key=key())
    assert first.status_code == 200 and first.data["remaining"][0] == {
        "product_id": shop.cut.pk, "name": "洗剪吹", "uses_total": None, "uses_left": None, "used": 1}
    second = client.post(f"/member-cards/{card.pk}/use", body, key=key())
    assert (second.status_code, error_code(second)) == (409, "card_daily_limit")
    assert second.data["error"]["message"] == "已达该卡每日使用上限：今天已用1次，上限1次。"
    assert CardUse.objects.filter(card=card, kind="use").count() == 1
