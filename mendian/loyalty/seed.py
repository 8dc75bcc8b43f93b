"""Demo levels (普通/银卡/金卡/钻石) and points rule."""

from __future__ import annotations

from mendian.core.seeding import SeedContext

from .models import Level, PointsRule

ORDER = 20
LEVELS = [
    # name, rank, upgrade by, threshold, pays %, points %
    ("普通会员", 0, "spend", 0, 100, 100, "积分 1 元 1 分"),
    ("银卡会员", 1, "spend", 100_000, 98, 120, "9.8 折，积分 1.2 倍"),
    ("金卡会员", 2, "spend", 500_000, 95, 150, "9.5 折，积分 1.5 倍，生日礼"),
    ("钻石会员", 3, "recharge", 2_000_000, 90, 200, "9 折，积分 2 倍，专属顾问"),
]


def seed(ctx: SeedContext) -> None:
    merchant = ctx.data["merchant"]
    ctx.data["levels"] = [
        Level.objects.create(merchant=merchant, name=name, rank=rank, upgrade_by=by, threshold=threshold,
                             discount_pct=pct, points_multiplier_pct=points, benefits=benefits)
        for name, rank, by, threshold, pct, points, benefits in LEVELS
    ]
    ctx.data["points_rule"] = PointsRule.objects.create(
        merchant=merchant, points_per_yuan=1, redeem_points=100, redeem_fen=100, max_redeem_pct=50,
        expire_after_days=365, register_points=50, birthday_points=200)
