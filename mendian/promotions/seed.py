"""Demo coupons and promotions: a 满减 coupon given to some members, a discount coupon in the claim centre,
a welcome gift pack, and a Wednesday member day — made by the real services."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mendian.core.seeding import SeedContext
from mendian.tenancy.access import Access

from .campaigns import promotion_save
from .coupons import issue_coupons, template_create
from .issuing import gift_pack_save

ORDER = 55
GIVEN = 300


def seed(ctx: SeedContext) -> None:
    merchant = ctx.data["merchant"]
    access = Access.for_staff(ctx.data["staff"]["owner"])
    amount = template_create(access=access, name="满100减20", kind="amount_off", amount_fen=2000, min_spend_fen=10000,
                             valid_days=30)
    template_create(access=access, name="护理9折券", kind="percent_off", percent=90, max_discount_fen=5000,
                    min_spend_fen=0, valid_days=60, claimable=True, total_quantity=500, per_member_limit=1)
    voucher = template_create(access=access, name="新人10元券", kind="voucher", amount_fen=1000, min_spend_fen=0,
                              valid_days=30)
    pack = gift_pack_save(access=access, name="新人礼包", items=[(voucher.pk, 1), (amount.pk, 1)])
    promotion_save(access=access, name="入会有礼", kind="welcome_gift", gift_pack_id=pack.pk)
    promotion_save(access=access, name="周三会员日", kind="member_day", repeat="weekly", days=[3],
                   extra_discount_pct=95)
    member_ids = ctx.data.get("member_ids", [])[:GIVEN]
    if member_ids:
        with transaction.atomic():
            issue_coupons(template=amount, member_ids=member_ids, when=timezone.now(), tz_name=merchant.timezone)
    ctx.write(f"  coupons and promotions (满100减20 given to {len(member_ids)} members)")
