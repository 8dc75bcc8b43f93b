from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from mendian.core.api import InSchema

RechargeMethod = Literal["cash", "wechat", "alipay", "card"]


class PlanIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    pay_fen: StrictInt = Field(gt=0)
    bonus_fen: StrictInt = Field(0, ge=0)
    store_ids: list[int] | None = Field(None, description="only in these stores; none = every store")
    is_active: StrictBool = True
    sort_order: StrictInt = Field(0, ge=0)


class PlanOut(Schema):
    id: int
    name: str
    pay_fen: int
    bonus_fen: int
    store_ids: list[int]
    is_active: bool
    sort_order: int


class RechargeIn(InSchema):
    store_id: int
    pay_fen: StrictInt = Field(gt=0)
    plan_id: int | None = None
    payment_method: RechargeMethod


class RechargeResult(Schema):
    member_id: int
    recharge_id: int
    principal_fen: int
    bonus_fen: int
    balance_fen: int
    entry_id: int


class RechargeOut(Schema):
    id: int
    member_id: int
    store_id: int
    plan_id: int | None
    pay_fen: int
    bonus_fen: int
    payment_method: str
    refunded_principal_fen: int
    forfeited_bonus_fen: int
    created_at: datetime


class RechargeRefundIn(InSchema):
    reason: str = Field(min_length=1, max_length=200)


class RechargeRefundOut(Schema):
    recharge_id: int
    refund_fen: int = Field(description="principal paid back to the member by the recharge's payment method")
    bonus_forfeited_fen: int
    entry_id: int
    principal_fen: int
    bonus_fen: int
    balance_fen: int


class WalletEntryOut(Schema):
    id: int
    delta: int
    balance_after: int
    principal_delta_fen: int
    bonus_delta_fen: int
    principal_after_fen: int
    bonus_after_fen: int
    reason: str
    ref_type: str
    ref_id: int | None
    store_id: int
    staff_id: int | None
    note: str
    created_at: datetime


class LiabilityRowOut(Schema):
    store_id: int
    store_name: str
    principal_fen: int
    bonus_fen: int
    total_fen: int


class LiabilityOut(Schema):
    rows: list[LiabilityRowOut]
    principal_fen: int
    bonus_fen: int
    total_fen: int


class SettlementRowOut(Schema):
    recharge_store_id: int
    spend_store_id: int
    principal_fen: int
    bonus_fen: int


class SettlementOut(Schema):
    date_from: date
    date_to: date
    rows: list[SettlementRowOut]
