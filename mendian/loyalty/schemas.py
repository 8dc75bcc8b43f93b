from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictInt

from mendian.core.api import InSchema

UpgradeBy = Literal["spend", "recharge", "points"]


class LevelIn(InSchema):
    name: str = Field(min_length=1, max_length=40)
    rank: StrictInt = Field(ge=0, le=1000)
    upgrade_by: UpgradeBy = "spend"
    threshold: StrictInt = Field(0, ge=0, description="fen for spend and recharge, points for points")
    discount_pct: StrictInt = Field(100, ge=1, le=100, description="95 = pay 95% (9.5折)")
    points_multiplier_pct: StrictInt = Field(100, ge=0, le=10000, description="150 = ×1.5 points")
    benefits: str = Field("", max_length=2000)


class LevelPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=40)
    rank: StrictInt | None = Field(None, ge=0, le=1000)
    upgrade_by: UpgradeBy | None = None
    threshold: StrictInt | None = Field(None, ge=0)
    discount_pct: StrictInt | None = Field(None, ge=1, le=100)
    points_multiplier_pct: StrictInt | None = Field(None, ge=0, le=10000)
    benefits: str | None = Field(None, max_length=2000)


class LevelOut(Schema):
    id: int
    name: str
    rank: int
    upgrade_by: str
    threshold: int
    discount_pct: int
    points_multiplier_pct: int
    benefits: str


class PointsRuleIn(InSchema):
    points_per_yuan: StrictInt = Field(ge=0, le=10000)
    redeem_points: StrictInt = Field(gt=0, le=10**9)
    redeem_fen: StrictInt = Field(gt=0, le=10**9)
    max_redeem_pct: StrictInt = Field(ge=0, le=100)
    expire_after_days: StrictInt | None = Field(None, ge=1, le=36500)
    register_points: StrictInt = Field(0, ge=0, le=10**7)
    birthday_points: StrictInt = Field(0, ge=0, le=10**7)


class PointsRuleOut(Schema):
    points_per_yuan: int
    redeem_points: int
    redeem_fen: int
    max_redeem_pct: int
    expire_after_days: int | None
    register_points: int
    birthday_points: int


class LedgerEntryOut(Schema):
    id: int
    delta: int
    balance_after: int
    reason: str
    ref_type: str
    ref_id: int | None
    store_id: int | None
    staff_id: int | None
    note: str
    created_at: datetime


class PointsAdjustIn(InSchema):
    delta: StrictInt = Field(description="points to add (positive) or take (negative)")
    note: str = Field(min_length=1, max_length=200)
    store_id: int | None = None


class LevelSetIn(InSchema):
    level_id: int
    reason: str = Field(min_length=1, max_length=200)


class ExpiryOut(Schema):
    expires_on: date
    points: int
