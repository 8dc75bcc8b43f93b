import itertools

from django.utils import timezone

from mendian.core.testing.isolation import Param
from mendian.members.testing import make_member
from mendian.pos.testing import make_product
from mendian.promotions.coupons import issue_coupons
from mendian.promotions.models import CouponStock, CouponTemplate, GiftPack, GiftPackItem, IssueRun

_numbers = itertools.count(1)


def _template(world, **fields):
    fields.setdefault("name", f"{world.merchant.name}券{next(_numbers)}")
    template = CouponTemplate.objects.create(merchant=world.merchant, kind="voucher", amount_fen=500, **fields)
    CouponStock.objects.create(template=template)
    return template


def _run(world):
    return IssueRun.objects.create(merchant=world.merchant, template=_template(world), target="members",
                                   member_ids=[make_member(world).pk], created_by=world.owner).pk


def _pack(world):
    pack = GiftPack.objects.create(merchant=world.merchant, name=f"{world.merchant.name}礼包{next(_numbers)}")
    GiftPackItem.objects.create(pack=pack, template=_template(world), quantity=1)
    return pack.pk


def _code(world):
    result = issue_coupons(template=_template(world), member_ids=[make_member(world).pk], when=timezone.now(),
                           tz_name="Asia/Shanghai")
    from mendian.promotions.models import Coupon

    return Coupon.objects.get(pk=result.coupon_ids[0]).code


def _promotion(world):
    from mendian.promotions.models import Promotion, PromotionSpend

    promotion = Promotion.objects.create(merchant=world.merchant, name=f"{world.merchant.name}活动{next(_numbers)}",
                                         kind="limited_price", product_ids=[make_product(world).pk], percent=80)
    PromotionSpend.objects.create(promotion=promotion)
    return promotion.pk


PARAMS = {
    "promotion_id": Param(own=_promotion),
    "template_id": Param(own=lambda w: _template(w).pk),
    "run_id": Param(own=_run),
    "pack_id": Param(own=_pack),
    "code": Param(own=_code),
}
BODIES = {
    "POST /api/v1/coupon-templates/{template_id}/issue": lambda w: {"member_ids": [make_member(w).pk]},
    "POST /api/v1/coupon-templates/{template_id}/status": lambda w: {"status": "paused"},
    "PATCH /api/v1/coupon-templates/{template_id}": lambda w: {"name": "改名"},
    "POST /api/v1/members/{member_id}/coupons/claim": lambda w: {"template_id": _template(w, claimable=True).pk},
    "PUT /api/v1/gift-packs/{pack_id}": lambda w: {"name": "礼包", "items": [{"template_id": _template(w).pk}]},
    "PATCH /api/v1/promotions/{promotion_id}": lambda w: {"name": "改名"},
    "POST /api/v1/promotions/{promotion_id}/status": lambda w: {"status": "paused"},
    "PUT /api/v1/promotions/{promotion_id}/stores/{store_id}": lambda w: {"enabled": False},
}
REFERENCES = {
    "POST /api/v1/coupon-templates": lambda w: {"name": "单品券", "kind": "percent_off", "percent": 80,
                                                "include_product_ids": [make_product(w).pk]},
    "POST /api/v1/coupon-issue-runs": lambda w: {"template_id": _template(w).pk, "target": "members",
                                                 "member_ids": [make_member(w).pk]},
    "POST /api/v1/gift-packs": lambda w: {"name": "礼包", "items": [{"template_id": _template(w).pk}]},
    "POST /api/v1/promotions": lambda w: {"name": "限时8折", "kind": "limited_price", "percent": 80,
                                          "product_ids": [make_product(w).pk]},
}
