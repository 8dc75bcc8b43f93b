from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from mendian.core.api import InSchema

Kind = Literal["amount_off", "percent_off", "voucher", "item"]


class TemplateFields(InSchema):
    description: str | None = Field(None, max_length=200)
    amount_fen: StrictInt | None = None
    percent: StrictInt | None = Field(None, description="percent_off: the part paid, 80 = 8折 (1–99)")
    max_discount_fen: StrictInt | None = None
    item_mode: Literal["free", "price", "percent"] | None = None
    item_price_fen: StrictInt | None = None
    include_product_ids: list[StrictInt] | None = None
    exclude_product_ids: list[StrictInt] | None = None
    include_category_ids: list[StrictInt] | None = None
    exclude_category_ids: list[StrictInt] | None = None
    include_group_ids: list[StrictInt] | None = None
    exclude_group_ids: list[StrictInt] | None = None
    store_ids: list[StrictInt] | None = None
    valid_days: StrictInt | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    total_quantity: StrictInt | None = None
    per_member_limit: StrictInt | None = None
    stack_group: str | None = Field(None, max_length=30)
    at_counter: StrictBool | None = None
    online: StrictBool | None = None
    claimable: StrictBool | None = None
    cost_bearer: Literal["hq", "store"] | None = None


class TemplateIn(TemplateFields):
    name: str = Field(max_length=60)
    kind: Kind
    min_spend_fen: StrictInt = 0
    stackable: StrictBool = False


class TemplatePatch(TemplateFields):
    name: str | None = Field(None, max_length=60)
    kind: Kind | None = None
    min_spend_fen: StrictInt | None = None
    stackable: StrictBool | None = None


class TemplateOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    amount_fen: int | None
    percent: int | None
    max_discount_fen: int | None
    min_spend_fen: int
    item_mode: str
    item_price_fen: int | None
    include_product_ids: list[int]
    exclude_product_ids: list[int]
    include_category_ids: list[int]
    exclude_category_ids: list[int]
    include_group_ids: list[int]
    exclude_group_ids: list[int]
    store_ids: list[int]
    valid_days: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    total_quantity: int | None
    issued: int
    per_member_limit: int | None
    stackable: bool
    stack_group: str
    at_counter: bool
    online: bool
    claimable: bool
    cost_bearer: str
    status: str


class StatusIn(InSchema):
    status: Literal["active", "paused", "ended"]


class IssueIn(InSchema):
    member_ids: list[StrictInt]


class CouponOut(Schema):
    id: int
    template_id: int
    member_id: int
    name: str
    kind: str
    status: str = Field(description='"unused", "used", "expired" or "void"')
    code: str
    valid_from: datetime | None
    valid_until: datetime | None
    issued_at: datetime
    used_at: datetime | None
    order_id: int | None
    discount_fen: int


class Skipped(Schema):
    limit: list[int]
    stock: list[int]


class IssueOut(Schema):
    items: list[CouponOut]
    skipped: Skipped


class IssueRunIn(InSchema):
    template_id: StrictInt | None = None
    gift_pack_id: StrictInt | None = None
    target: Literal["members", "filter", "segment"]
    member_ids: list[StrictInt] | None = None
    segment_id: StrictInt | None = None
    filters: dict[str, str | int] | None = None


class IssueRunOut(Schema):
    id: int
    template_id: int | None
    gift_pack_id: int | None
    target: str
    status: str
    members_total: int
    issued: int
    skipped: dict[str, int]
    failure: str
    progress: dict[str, int]
    created_at: datetime
    finished_at: datetime | None


class ClaimIn(InSchema):
    template_id: StrictInt


class GiftPackItemIn(InSchema):
    template_id: StrictInt
    quantity: StrictInt = 1


class GiftPackIn(InSchema):
    name: str = Field(max_length=60)
    items: list[GiftPackItemIn]
    is_active: StrictBool = True


class GiftPackOut(Schema):
    id: int
    name: str
    is_active: bool
    items: list[dict[str, int]]


PromotionKind = Literal["limited_price", "new_customer", "member_day", "recharge_bonus", "welcome_gift",
                        "first_visit_gift", "birthday_gift"]


class PromotionFields(InSchema):
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    product_ids: list[StrictInt] | None = None
    price_fen: StrictInt | None = None
    percent: StrictInt | None = None
    per_member_qty: StrictInt | None = None
    repeat: Literal["weekly", "monthly"] | None = None
    days: list[StrictInt] | None = None
    extra_discount_pct: StrictInt | None = None
    points_multiplier_pct: StrictInt | None = None
    bonus_pct: StrictInt | None = None
    min_pay_fen: StrictInt | None = None
    gift_pack_id: StrictInt | None = None
    store_ids: list[StrictInt] | None = None
    stores_opt_in: StrictBool | None = None
    store_min_percent: StrictInt | None = None
    store_max_percent: StrictInt | None = None
    budget_fen: StrictInt | None = None


class PromotionIn(PromotionFields):
    name: str = Field(max_length=60)
    kind: PromotionKind


class PromotionPatch(PromotionFields):
    name: str | None = Field(None, max_length=60)


class PromotionOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    product_ids: list[int]
    price_fen: int | None
    percent: int | None
    per_member_qty: int | None
    repeat: str
    days: list[int]
    extra_discount_pct: int | None
    points_multiplier_pct: int | None
    bonus_pct: int | None
    min_pay_fen: int
    gift_pack_id: int | None
    store_ids: list[int]
    stores_opt_in: bool
    store_min_percent: int | None
    store_max_percent: int | None
    budget_fen: int | None
    spent_fen: int
    uses: int


class PromotionStoreIn(InSchema):
    enabled: StrictBool
    percent: StrictInt | None = None


class ResultsOut(Schema):
    totals: dict[str, int]
    by_day: list[dict[str, int | str]]
    by_store: list[dict[str, int | str]]
