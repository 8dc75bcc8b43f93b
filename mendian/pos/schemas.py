from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictInt

from mendian.core.api import InSchema

Method = Literal["stored_value", "cash", "wechat", "alipay", "card"]


class LineIn(InSchema):
    product_id: int
    qty: StrictInt = Field(ge=1, le=9999)
    member_card_id: int | None = Field(None, description="a service paid by this card of the member: costs nothing")


class PaymentIn(InSchema):
    method: Method
    amount_fen: StrictInt = Field(gt=0)
    tendered_fen: StrictInt | None = Field(None, gt=0, description="cash only: what the customer handed over")


class VerificationIn(InSchema):
    member_code: str | None = Field(None, max_length=32, description="the member's rotating code, scanned")
    otp: str | None = Field(None, max_length=8, description="the code texted by POST /members/{id}/payment-code")


class OrderIn(InSchema):
    store_id: int
    member_id: int | None = None
    member_phone: str | None = Field(None, max_length=32,
                                     description="a new customer's phone: registers them (消费即会员) if enabled")
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    coupon_ids: list[int] | Literal["auto"] | None = None
    points: StrictInt = Field(0, ge=0)
    payments: list[PaymentIn] | None = Field(None, max_length=5)
    verification: VerificationIn | None = None


class LineOut(Schema):
    product_id: int
    name: str
    qty: int
    unit_price_fen: int
    member_unit_price_fen: int
    line_price_fen: int
    member_discount_fen: int
    coupon_discount_fen: int
    points_discount_fen: int
    points_used: int
    payable_fen: int
    points_earned: int
    promotion_id: int | None = None  # the promotion (限时折扣, 新客价, 会员日) that set the member unit price
    promotion_discount_fen: int = 0  # what that promotion saved on the line beyond the member's other prices
    promotion_name: str = ""  # quotes only
    member_card_id: int | None = None
    card_discount_fen: int = 0  # what the member card covered


class PaymentOut(Schema):
    method: str
    amount_fen: int
    tendered_fen: int | None
    change_fen: int
    refunded_fen: int = 0


class CouponCheckOut(Schema):
    coupon_id: int
    usable: bool
    reason: str | None = Field(description="expired, not_yet_valid, not_in_store, not_at_counter, "
                                           "no_eligible_products or below_min_spend")
    discount_fen: int = Field(description="what it would take alone")
    template_id: int | None = None
    name: str = ""
    gives: str = ""
    valid_until: datetime | None = None
    applied: bool = False
    reason_text: str = Field("", description="why not, in words (未满100元, 不适用于本门店, 不可与…同时使用)")


class OrderOut(Schema):
    id: int | None = None
    no: str | None = None
    status: str | None = None
    store_id: int
    member_id: int | None
    lines: list[LineOut]
    subtotal_fen: int
    member_discount_fen: int
    coupon_discount_fen: int
    points_used: int
    points_discount_fen: int
    payable_fen: int
    points_earned: int
    coupons_applied: list[int]
    card_discount_fen: int = 0
    payments: list[PaymentOut]
    change_fen: int
    refunded_fen: int = 0
    business_date: date | None = None
    created_at: datetime | None = None
    warnings: list[str] = []
    coupons: list[CouponCheckOut] = []


class RefundIn(InSchema):
    lines: list[LineIn] | None = Field(None, max_length=200)
    reason: str = Field(min_length=1, max_length=200)


class RefundPaymentOut(Schema):
    method: str
    amount_fen: int
    principal_fen: int
    bonus_fen: int


class RefundLineOut(Schema):
    product_id: int
    qty: int
    amount_fen: int
    points_used: int
    points_earned: int


class RefundOut(Schema):
    id: int
    order_id: int
    order_status: str
    amount_fen: int
    lines: list[RefundLineOut]
    payments: list[RefundPaymentOut]
    points_returned: int
    points_taken_back: int
    points_shortfall: int
    created_at: datetime
