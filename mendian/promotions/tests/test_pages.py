"""The coupon pages: create, results, issue with progress, gift packs."""

import re

from django.test import Client

from mendian.members.testing import make_member
from mendian.pos.testing import make_product
from mendian.promotions.issuing import issue_run_execute
from mendian.promotions.models import Coupon, CouponTemplate, GiftPack, IssueRun


def logged_in(staff):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(staff)
    return client


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


FORM = {"name": "满100减20", "kind": "amount_off", "amount_fen": "20", "min_spend_fen": "100", "validity": "days",
        "valid_days": "30", "at_counter": "on", "online": "on", "cost_bearer": "hq"}


def test_create_a_coupon_issue_it_and_see_its_results(world):
    client = logged_in(world.owner)
    product = make_product(world, price_fen=5000)
    created = client.post("/coupons/new/", {**FORM, "exclude_product_ids": [product.pk]})
    assert created.status_code == 302
    template = CouponTemplate.objects.get(merchant=world.merchant)
    assert (template.amount_fen, template.min_spend_fen, template.valid_days, template.exclude_product_ids) == \
        (2000, 10000, 30, [product.pk])
    page = client.get(f"/coupons/{template.pk}/")
    assert "满 ¥100.00 减 ¥20.00" in text(page)
    members = [make_member(world, store_index=1) for _ in range(3)] + [make_member(world)]
    issued = client.post(f"/coupons/{template.pk}/issue/", {"store_id": world.stores[1].pk})
    assert issued.status_code == 302
    run = IssueRun.objects.get(template=template)
    assert run.members_total == 3
    progress = client.get(f"/coupons/runs/{run.pk}/")
    assert 'hx-trigger="every 1s"' in progress.content.decode()  # still polling while waiting
    issue_run_execute(run_id=run.pk)
    done = client.get(f"/coupons/runs/{run.pk}/")
    assert "100%" in text(done) and "hx-trigger" not in done.content.decode()
    assert set(Coupon.objects.filter(template=template).values_list("member_id", flat=True)) == \
        {m.pk for m in members[:3]}
    assert client.get(f"/coupons/{template.pk}/").content.decode().count('data-testid="issued">3<') == 1
    by_phone = client.post(f"/coupons/{template.pk}/issue/", {"phones": members[3].phone})
    assert by_phone.status_code == 302
    unknown = client.post(f"/coupons/{template.pk}/issue/", {"phones": "13000000009"})
    assert unknown.status_code == 422 and "13000000009" in text(unknown)


def test_bad_coupon_forms_say_why_and_write_nothing(world):
    client = logged_in(world.owner)
    response = client.post("/coupons/new/", {**FORM, "kind": "percent_off", "percent": "120"})
    assert response.status_code == 200 and not CouponTemplate.objects.exists()
    response = client.post("/coupons/new/", {**FORM, "min_spend_fen": "10"})
    assert response.status_code == 200 and "满减券的门槛不能低于减免金额" in text(response)
    assert not CouponTemplate.objects.exists()
    cashier = logged_in(world.staff("cashier"))
    assert cashier.get("/coupons/new/").status_code == 403
    assert cashier.get("/coupons/").status_code == 200


def test_pause_end_and_gift_packs(world):
    client = logged_in(world.owner)
    client.post("/coupons/new/", FORM)
    template = CouponTemplate.objects.get(merchant=world.merchant)
    client.post(f"/coupons/{template.pk}/status/", {"status": "paused"})
    template.refresh_from_db()
    assert template.status == "paused"
    client.post(f"/coupons/{template.pk}/status/", {"status": "ended"})
    client.post(f"/coupons/{template.pk}/status/", {"status": "active"})
    template.refresh_from_db()
    assert template.status == "ended"
    client.post("/coupons/new/", {**FORM, "name": "代金券", "kind": "voucher", "amount_fen": "10",
                                  "min_spend_fen": ""})
    voucher = CouponTemplate.objects.get(name="代金券")
    saved = client.post("/coupons/packs/", {"name": "新人礼包", "is_active": "on", f"qty_{voucher.pk}": "2"})
    assert saved.status_code == 302
    pack = GiftPack.objects.get(merchant=world.merchant)
    assert [(i.template_id, i.quantity) for i in pack.items.all()] == [(voucher.pk, 2)]
    empty = client.post("/coupons/packs/", {"name": "空礼包", "is_active": "on"})
    assert empty.status_code == 200 and GiftPack.objects.count() == 1
