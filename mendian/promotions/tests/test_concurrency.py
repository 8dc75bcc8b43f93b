"""Coupons under concurrent load (PostgreSQL)."""

import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from mendian.core.testing.concurrency import run_together
from mendian.members.bulk import NewMember, bulk_register
from mendian.members.models import Member
from mendian.members.testing import make_member
from mendian.pos.models import Order
from mendian.pos.testing import make_product
from mendian.promotions.coupons import coupon_claim
from mendian.promotions.models import Coupon, CouponStock, CouponTemplate
from mendian.tenancy.testing import make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_thousand_claims_of_a_hundred_coupons_give_exactly_a_hundred():
    world = make_world("抢券")
    template = CouponTemplate.objects.create(merchant=world.merchant, name="限量券", kind="voucher", amount_fen=500,
                                             claimable=True, total_quantity=100, per_member_limit=1)
    CouponStock.objects.create(template=template)
    ids = bulk_register(merchant_id=world.merchant.pk, rows=[NewMember(phone=f"1370000{i:04d}",
                                                                       store_id=world.stores[0].pk)
                                                             for i in range(1000)],
                        channel="import", when=timezone.now(), today=timezone.now().date(), expire_after_days=None,
                        taken_cards=set())
    members = list(Member.objects.filter(pk__in=ids).order_by("id"))

    def claims(thread):
        outcomes = []
        for member in members[thread::40]:
            try:
                coupon_claim(merchant=world.merchant, member=member, template=template)
                outcomes.append("ok")
            except Exception as error:
                outcomes.append(getattr(error, "code", repr(error)))
        return outcomes

    outcomes = [o for batch in run_together(40, claims) for o in batch]
    assert outcomes.count("ok") == 100 and outcomes.count("coupon_out_of_stock") == 900
    assert Coupon.objects.filter(template=template).count() == 100 == CouponStock.objects.get(template=template).issued
    call_command("check_ledgers")


def test_one_coupon_in_twenty_concurrent_checkouts_is_used_once():
    world = make_world("一券多单")
    member = make_member(world)
    product = make_product(world, price_fen=5000)
    template = CouponTemplate.objects.create(merchant=world.merchant, name="减10元", kind="voucher", amount_fen=1000)
    CouponStock.objects.create(template=template)
    client = world.api()
    [coupon] = client.post(f"/coupon-templates/{template.pk}/issue", {"member_ids": [member.pk]}).data["items"]
    clients = [world.api() for _ in range(20)]
    body = {"store_id": world.stores[0].pk, "member_id": member.pk, "lines": [{"product_id": product.pk, "qty": 1}],
            "coupon_ids": [coupon["id"]], "payments": [{"method": "cash", "amount_fen": 4000}]}
    responses = run_together(20, lambda i: clients[i].post("/orders", body, key=str(uuid.uuid4())))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 19
    assert {r.data["error"]["code"] for r in responses if r.status_code == 409} == {"coupon_unavailable"}
    assert Order.objects.filter(member=member).count() == 1
    assert Coupon.objects.get(pk=coupon["id"]).status == "used"
    call_command("check_ledgers")


def test_a_promotion_budget_is_never_exceeded():
    from mendian.pos.models import OrderLine
    from mendian.promotions.models import Promotion, PromotionSpend

    world = make_world("预算")
    product = make_product(world, price_fen=10000)
    promotion = Promotion.objects.create(merchant=world.merchant, name="限时5折", kind="limited_price",
                                         product_ids=[product.pk], percent=50, budget_fen=5 * 5000)
    PromotionSpend.objects.create(promotion=promotion)
    clients = [world.api() for _ in range(12)]
    body = {"store_id": world.stores[0].pk, "lines": [{"product_id": product.pk, "qty": 1}],
            "payments": [{"method": "cash", "amount_fen": 5000}]}
    responses = run_together(12, lambda i: clients[i].post("/orders", body, key=str(uuid.uuid4())))
    ok = [r for r in responses if r.status_code == 200]
    refused = {r.data["error"]["code"] for r in responses if r.status_code != 200}
    assert len(ok) == 5 and refused <= {"promotion_budget_used_up", "payment_mismatch"}
    spent = PromotionSpend.objects.get(promotion=promotion).spent_fen
    lines = OrderLine.objects.filter(promotion=promotion)
    assert spent == 25000 == sum(line.promotion_discount_fen for line in lines)
