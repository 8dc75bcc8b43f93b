import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from mendian.core.testing.api import error_code
from mendian.members.testing import make_member
from mendian.pos.models import Order
from mendian.pos.testing import make_product
from mendian.promotions.issuing import issue_run_execute
from mendian.promotions.models import Coupon, CouponStock, IssueRun


@pytest.fixture
def shop(world):
    world.shampoo = make_product(world, name="洗发水", price_fen=10000)
    world.cut = make_product(world, name="洗剪吹", kind="service", price_fen=8800)
    return world


def template(client, **body):
    body = {"name": "满100减20", "kind": "amount_off", "amount_fen": 2000, "min_spend_fen": 10000, **body}
    response = client.post("/coupon-templates", body)
    assert response.status_code == 201, response.data
    return response.data


def sale(world, member, lines, **extra):
    return {"store_id": world.stores[0].pk, "member_id": member.pk,
            "lines": [{"product_id": p.pk, "qty": q} for p, q in lines], **extra}


def test_templates_of_every_kind_and_their_bad_input(shop, other_world):
    client = shop.api()
    assert template(client)["issued"] == 0
    assert template(client, name="8折券", kind="percent_off", percent=80, max_discount_fen=5000,
                    min_spend_fen=0)["percent"] == 80
    assert template(client, name="代金券10元", kind="voucher", amount_fen=1000, min_spend_fen=0,
                    valid_days=30)["valid_days"] == 30
    half = template(client, name="新品半价券", kind="item", item_mode="percent", percent=50, min_spend_fen=0,
                    include_product_ids=[shop.shampoo.pk])
    assert (half["item_mode"], half["include_product_ids"]) == ("percent", [shop.shampoo.pk])
    base = {"name": "x", "kind": "percent_off", "min_spend_fen": 0}
    now = timezone.now()
    for body, code in [
        ({**base, "percent": 0}, "invalid_percent"),
        ({**base, "percent": 100}, "invalid_percent"),
        ({**base, "kind": "amount_off", "amount_fen": 0}, "invalid_amount"),
        ({**base, "kind": "amount_off", "amount_fen": -5}, "invalid_amount"),
        ({**base, "kind": "amount_off", "amount_fen": 2000, "min_spend_fen": 1000}, "threshold_below_amount"),
        ({**base, "kind": "voucher", "amount_fen": 500, "min_spend_fen": 1000}, "voucher_has_no_threshold"),
        ({**base, "kind": "item"}, "invalid_item_mode"),
        ({**base, "percent": 80, "valid_from": now.isoformat(), "valid_until": (now - timedelta(days=1)).isoformat()},
         "invalid_period"),
        ({**base, "percent": 80, "valid_days": 7, "valid_until": now.isoformat()}, "validity_twice"),
        ({**base, "percent": 80, "total_quantity": 0}, "invalid_quantity"),
    ]:
        response = client.post("/coupon-templates", body)
        assert response.status_code == 422 and error_code(response) == code, (body, response.data)
    foreign = make_product(other_world)
    response = client.post("/coupon-templates", {**base, "percent": 80, "include_product_ids": [foreign.pk]})
    assert response.status_code == 404
    assert client.post("/coupon-templates", {**base, "percent": 80, "colour": "red"}).status_code == 422
    assert shop.api(shop.staff("cashier")).post("/coupon-templates", {**base, "percent": 80}).status_code == 403


def test_issue_with_per_member_limit_and_stock(shop, other_world):
    client = shop.api()
    t = template(client, total_quantity=3, per_member_limit=1)
    members = [make_member(shop) for _ in range(3)]
    first = client.post(f"/coupon-templates/{t['id']}/issue", {"member_ids": [members[0].pk, members[1].pk]},
                        key=str(uuid.uuid4()))
    assert first.status_code == 201
    assert sorted(c["member_id"] for c in first.data["items"]) == [members[0].pk, members[1].pk]
    again = client.post(f"/coupon-templates/{t['id']}/issue", {"member_ids": [m.pk for m in members]})
    assert [c["member_id"] for c in again.data["items"]] == [members[2].pk]
    assert again.data["skipped"] == {"limit": [members[0].pk, members[1].pk], "stock": []}
    newcomer = make_member(shop)
    over = client.post(f"/coupon-templates/{t['id']}/issue", {"member_ids": [newcomer.pk]})
    assert over.data["items"] == [] and over.data["skipped"]["stock"] == [newcomer.pk]
    assert CouponStock.objects.get(template_id=t["id"]).issued == 3
    assert client.post(f"/coupon-templates/{t['id']}/issue",
                       {"member_ids": [make_member(other_world).pk]}).status_code == 404
    assert client.post(f"/coupon-templates/{t['id']}/status", {"status": "paused"}).status_code == 200
    paused = client.post(f"/coupon-templates/{t['id']}/issue", {"member_ids": [newcomer.pk]})
    assert paused.status_code == 409 and error_code(paused) == "template_not_active"
    codes = [c["code"] for c in first.data["items"]]
    assert all(len(code) == 18 and code.isdigit() for code in codes) and len(set(codes)) == 2
    found = client.get(f"/coupons/by-code/{codes[0]}")
    assert found.status_code == 200 and found.data["id"] == first.data["items"][0]["id"]
    assert client.get("/coupons/by-code/000000000000000000").status_code == 404
    call_command("check_ledgers")


def test_checkout_uses_the_chosen_coupon_once_and_a_full_refund_gives_it_back(shop):
    client = shop.api()
    t = template(client)
    member = make_member(shop)
    [coupon] = client.post(f"/coupon-templates/{t['id']}/issue", {"member_ids": [member.pk]}).data["items"]
    lines = [(shop.shampoo, 1), (shop.cut, 1)]
    quote = client.post("/orders/quote", sale(shop, member, lines))
    assert [(c["coupon_id"], c["usable"]) for c in quote.data["coupons"]] == [(coupon["id"], True)]
    body = sale(shop, member, lines, coupon_ids=[coupon["id"]],
                payments=[{"method": "cash", "amount_fen": 18800 - 2000}])
    order = client.post("/orders", body, key=str(uuid.uuid4()))
    assert order.status_code == 200, order.data
    assert (order.data["coupon_discount_fen"], order.data["coupons_applied"]) == (2000, [coupon["id"]])
    assert sum(line["coupon_discount_fen"] for line in order.data["lines"]) == 2000
    used = Coupon.objects.get(pk=coupon["id"])
    assert (used.status, used.order_id, used.discount_fen, used.used_store_id) == \
        ("used", order.data["id"], 2000, shop.stores[0].pk)
    twice = client.post("/orders", body, key=str(uuid.uuid4()))
    assert twice.status_code == 409 and error_code(twice) == "coupon_unavailable"
    assert Order.objects.filter(member=member).count() == 1
    partial = client.post(f"/orders/{order.data['id']}/refund",
                          {"lines": [{"product_id": shop.cut.pk, "qty": 1}], "reason": "不满意"}, key=str(uuid.uuid4()))
    assert partial.status_code == 200
    assert Coupon.objects.get(pk=coupon["id"]).status == "used"
    full = client.post(f"/orders/{order.data['id']}/refund", {"reason": "全退"}, key=str(uuid.uuid4()))
    assert full.status_code == 200
    back = Coupon.objects.get(pk=coupon["id"])
    assert (back.status, back.order_id) == ("unused", None)
    statuses = client.get(f"/members/{member.pk}/coupons?status=unused").data["items"]
    assert [c["id"] for c in statuses] == [coupon["id"]]


def test_auto_picks_the_best_and_reasons_are_given(shop):
    client = shop.api()
    small = template(client, name="减5元", kind="voucher", amount_fen=500, min_spend_fen=0)
    big = template(client, name="满300减50", amount_fen=5000, min_spend_fen=30000)
    other_store = template(client, name="分店券", kind="voucher", amount_fen=3000, min_spend_fen=0,
                           store_ids=[shop.stores[1].pk])
    member = make_member(shop)
    for t in (small, big, other_store):
        client.post(f"/coupon-templates/{t['id']}/issue", {"member_ids": [member.pk]})
    quote = client.post("/orders/quote", sale(shop, member, [(shop.shampoo, 1)], coupon_ids="auto"))
    assert quote.data["coupon_discount_fen"] == 500
    reasons = {c["coupon_id"]: c["reason"] for c in quote.data["coupons"]}
    coupons = {c["template_id"]: c["id"] for c in client.get(f"/members/{member.pk}/coupons").data["items"]}
    assert reasons[coupons[big["id"]]] == "below_min_spend"
    assert reasons[coupons[other_store["id"]]] == "not_in_store"
    words = {c["name"]: (c["reason_text"], c["applied"]) for c in quote.data["coupons"]}
    assert words == {"减5元": ("", True), "满300减50": ("满 ¥300.00 可用", False), "分店券": ("本店不可用", False)}
    expired = Coupon.objects.get(pk=coupons[small["id"]])
    Coupon.objects.filter(pk=expired.pk).update(valid_until=timezone.now() - timedelta(minutes=1))
    assert [c["status"] for c in client.get(f"/members/{member.pk}/coupons?status=expired").data["items"]] == \
        ["expired"]
    refused = client.post("/orders/quote", sale(shop, member, [(shop.shampoo, 1)], coupon_ids=[expired.pk]))
    assert refused.status_code == 409 and error_code(refused) == "coupon_unavailable"
    # another member's coupon is not found for this sale, at the quote and at the checkout alike
    other = make_member(shop)
    [theirs] = client.post(f"/coupon-templates/{small['id']}/issue", {"member_ids": [other.pk]}).data["items"]
    for path, extra in (("/orders/quote", {}), ("/orders", {"payments": [{"method": "cash", "amount_fen": 9500}]})):
        chosen = [coupons[big["id"]], theirs["id"]]
        foreign = client.post(path, sale(shop, member, [(shop.shampoo, 1)], coupon_ids=chosen, **extra),
                              key=str(uuid.uuid4()))
        assert (foreign.status_code, error_code(foreign)) == (404, "coupon_not_found"), foreign.data
        assert foreign.data["error"]["detail"] == {"field": "coupon_ids", "coupon_id": theirs["id"]}
    assert Coupon.objects.get(pk=theirs["id"]).status == "unused"


def test_a_coupon_that_cannot_join_the_best_says_with_which(shop):
    client = shop.api()
    alone = template(client, name="独享8折", kind="percent_off", percent=80, min_spend_fen=0)
    stack = template(client, name="叠加减5", kind="voucher", amount_fen=500, min_spend_fen=0, stackable=True)
    member = make_member(shop)
    for t in (alone, stack):
        client.post(f"/coupon-templates/{t['id']}/issue", {"member_ids": [member.pk]})
    quote = client.post("/orders/quote", sale(shop, member, [(shop.shampoo, 1)], coupon_ids="auto"))
    words = {c["name"]: (c["reason_text"], c["applied"]) for c in quote.data["coupons"]}
    assert words == {"独享8折": ("", True), "叠加减5": ("不可与独享8折同时使用", False)}


def test_claims_within_limit_and_stock(shop, other_world):
    client = shop.api()
    t = template(client, name="领券中心券", kind="voucher", amount_fen=800, min_spend_fen=0, claimable=True,
                 total_quantity=2, per_member_limit=1)
    first, second, third = (make_member(shop) for _ in range(3))
    assert client.post(f"/members/{first.pk}/coupons/claim", {"template_id": t["id"]}).status_code == 201
    again = client.post(f"/members/{first.pk}/coupons/claim", {"template_id": t["id"]})
    assert again.status_code == 409 and error_code(again) == "claim_limit_reached"
    assert client.post(f"/members/{second.pk}/coupons/claim", {"template_id": t["id"]}).status_code == 201
    gone = client.post(f"/members/{third.pk}/coupons/claim", {"template_id": t["id"]})
    assert gone.status_code == 409 and error_code(gone) == "coupon_out_of_stock"
    hidden = template(client, name="不公开")
    assert client.post(f"/members/{third.pk}/coupons/claim", {"template_id": hidden["id"]}).status_code == 404
    assert shop.api(other_world.owner).post(f"/members/{third.pk}/coupons/claim",
                                            {"template_id": t["id"]}).status_code == 404


def test_issue_runs_to_a_filter_and_gift_packs_never_issue_twice(shop):
    client = shop.api()
    welcome = template(client, name="欢迎券", kind="voucher", amount_fen=1000, min_spend_fen=0)
    discount = template(client, name="9折券", kind="percent_off", percent=90, min_spend_fen=0)
    members = [make_member(shop, store_index=i % 2) for i in range(5)]
    pack = client.post("/gift-packs", {"name": "新人礼包", "items": [{"template_id": welcome["id"], "quantity": 2},
                                                                  {"template_id": discount["id"]}]})
    assert pack.status_code == 201
    run = client.post("/coupon-issue-runs", {"gift_pack_id": pack.data["id"], "target": "filter",
                                             "filters": {"store_id": shop.stores[1].pk}})
    assert run.status_code == 202 and run.data["members_total"] == 2
    done = issue_run_execute(run_id=run.data["id"])
    assert (done.status, done.issued) == ("done", 2)
    reached = {m.pk for m in members if m.registered_store_id == shop.stores[1].pk}
    assert set(Coupon.objects.filter(issue_run_id=run.data["id"]).values_list("member_id", flat=True)) == reached
    assert Coupon.objects.filter(issue_run_id=run.data["id"]).count() == 2 * 3
    IssueRun.objects.filter(pk=run.data["id"]).update(status="running")  # as if the worker died and ran it again
    again = issue_run_execute(run_id=run.data["id"])
    assert again.status == "done" and Coupon.objects.filter(issue_run_id=run.data["id"]).count() == 6
    progress = client.get(f"/coupon-issue-runs/{run.data['id']}").data["progress"]
    assert progress == {"done": 2, "total": 2, "percent": 100}
    bad = client.post("/coupon-issue-runs", {"template_id": welcome["id"], "target": "filter",
                                             "filters": {"colour": "red"}})
    assert bad.status_code == 422 and error_code(bad) == "invalid_filters"
    call_command("check_ledgers")
