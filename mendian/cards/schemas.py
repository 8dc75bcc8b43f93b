from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from mendian.core.api import InSchema

Kind = Literal["punch", "period", "combo"]
Validity = Literal["from_purchase", "from_first_use", "fixed"]
RefundRule = Literal["pro_rata", "unused_only", "none"]


class CardItemIn(InSchema):
    product_id: int
    uses: StrictInt | None = Field(None, description="punch and combo cards: the uses of this service")


class CardTemplateIn(InSchema):
    name: str = Field(max_length=60)
    kind: Kind
    price_fen: StrictInt = Field(ge=0)
    items: list[CardItemIn] = Field(min_length=1, max_length=30)
    valid_days: StrictInt | None = Field(None, description="days of validity (from purchase or first use)")
    validity: Validity = "from_purchase"
    valid_from: datetime | None = None
    valid_until: datetime | None = Field(None, description="fixed validity: the card's last moment")
    daily_limit: StrictInt | None = Field(None, description="period cards: uses a day at most")
    weekly_limit: StrictInt | None = Field(None, description="period cards: uses a week at most")
    store_ids: list[int] | None = Field(None, description="stores where the card is sold and valid; none = all")
    transferable: StrictBool = False
    refund_rule: RefundRule = "pro_rata"
    description: str = Field("", max_length=200)


class CardTemplatePatch(InSchema):
    name: str | None = Field(None, max_length=60)
    price_fen: StrictInt | None = Field(None, ge=0)
    items: list[CardItemIn] | None = Field(None, min_length=1, max_length=30)
    valid_days: StrictInt | None = None
    validity: Validity | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    daily_limit: StrictInt | None = None
    weekly_limit: StrictInt | None = None
    store_ids: list[int] | None = None
    transferable: StrictBool | None = None
    refund_rule: RefundRule | None = None
    description: str | None = Field(None, max_length=200)


class CardTemplateStatusIn(InSchema):
    status: Literal["active", "paused", "ended"]


class CardItemOut(Schema):
    product_id: int
    name: str
    uses: int | None


class CardTemplateOut(Schema):
    id: int
    name: str
    kind: str
    price_fen: int
    product_id: int
    items: list[CardItemOut]
    validity: str
    valid_days: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    daily_limit: int | None
    weekly_limit: int | None
    store_ids: list[int]
    transferable: bool
    refund_rule: str
    status: str
    description: str


class CardRemainingOut(Schema):
    product_id: int
    name: str
    uses_total: int | None
    uses_left: int | None = Field(description="null when unlimited")
    used: int


class CardOut(Schema):
    id: int
    template_id: int
    member_id: int
    name: str
    kind: str
    status: str = Field(description="active, not_started, used_up, expired or refunded")
    valid_from: datetime | None
    valid_until: datetime | None
    remaining: list[CardRemainingOut]
    paid_fen: int
    refunded_fen: int
    store_ids: list[int]
    daily_limit: int | None
    weekly_limit: int | None
    transferable: bool
    refund_rule: str
    refund_value_fen: int = Field(description="what a refund would give back now")
    order_id: int | None
    store_id: int
    created_at: datetime


class CardUseIn(InSchema):
    product_id: int
    store_id: int
    qty: StrictInt = Field(1, ge=1, le=99)
    staff_id: int | None = Field(None, description="who served (default: the caller)")
    note: str = Field("", max_length=200)


class CardUseReverseIn(InSchema):
    reason: str = Field(min_length=1, max_length=200)
    qty: StrictInt | None = Field(None, ge=1, le=99)


class CardTransferIn(InSchema):
    member_id: int
    note: str = Field("", max_length=200)


class CardEntryOut(Schema):
    id: int
    card_id: int
    kind: str
    product_id: int | None
    delta: int
    qty: int
    uses_left_after: int | None
    member_id: int
    store_id: int | None
    staff_id: int | None
    served_by_id: int | None
    reverses_id: int | None
    ref_type: str
    ref_id: int | None
    note: str
    created_at: datetime


class UsedCardOut(CardOut):
    use: CardEntryOut = Field(description="this use's ledger entry (POST /card-uses/{id}/reverse gives it back)")
