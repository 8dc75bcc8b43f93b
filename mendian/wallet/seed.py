"""Demo recharge plans, one of them only in the newest store (新店专享)."""

from __future__ import annotations

from mendian.core.seeding import SeedContext

from .models import RechargePlan

ORDER = 30


def seed(ctx: SeedContext) -> None:
    merchant = ctx.data["merchant"]
    plans = [RechargePlan.objects.create(merchant=merchant, name=name, pay_fen=pay, bonus_fen=bonus, sort_order=i)
             for i, (name, pay, bonus) in enumerate([("充300送150", 30000, 15000), ("充500送300", 50000, 30000),
                                                     ("充1000送800", 100000, 80000)])]
    new_store = RechargePlan.objects.create(merchant=merchant, name="新店专享 充200送120", pay_fen=20000,
                                            bonus_fen=12000, sort_order=9)
    new_store.stores.set([ctx.data["stores_by_code"]["HZ02"]])
    ctx.data["plans"] = [*plans, new_store]
