from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from mendian.core.api import InSchema


class ProductIn(InSchema):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["goods", "service"] = "goods"
    price_fen: StrictInt = Field(ge=0)
    member_price_fen: StrictInt | None = Field(None, ge=0)
    cost_fen: StrictInt | None = Field(None, ge=0)
    category_id: int | None = None
    barcode: str = Field("", max_length=64)
    unit: str = Field("", max_length=16)
    duration_min: StrictInt | None = Field(None, ge=1, le=1440)
    buffer_min: StrictInt = Field(0, ge=0, le=1440)
    level_discount: StrictBool = True
    all_stores: StrictBool = True
    track_stock: StrictBool = False
    low_stock_threshold: StrictInt | None = Field(None, ge=0)
    group_ids: list[int] = []


class ProductPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: Literal["goods", "service"] | None = None
    price_fen: StrictInt | None = Field(None, ge=0)
    member_price_fen: StrictInt | None = Field(None, ge=0)
    cost_fen: StrictInt | None = Field(None, ge=0)
    category_id: int | None = None
    barcode: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, max_length=16)
    duration_min: StrictInt | None = Field(None, ge=1, le=1440)
    buffer_min: StrictInt | None = Field(None, ge=0, le=1440)
    level_discount: StrictBool | None = None
    all_stores: StrictBool | None = None
    track_stock: StrictBool | None = None
    low_stock_threshold: StrictInt | None = Field(None, ge=0)
    group_ids: list[int] | None = None
    is_active: StrictBool | None = None


class ProductOut(Schema):
    id: int
    name: str
    kind: str
    price_fen: int
    member_price_fen: int | None
    cost_fen: int | None
    category_id: int | None
    barcode: str
    unit: str
    duration_min: int | None
    buffer_min: int
    level_discount: bool
    all_stores: bool
    track_stock: bool
    low_stock_threshold: int | None
    group_ids: list[int]
    is_active: bool
    created_at: datetime


class CategoryIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    sort_order: StrictInt = Field(0, ge=0)


class CategoryOut(Schema):
    id: int
    name: str
    sort_order: int


class StorePriceIn(InSchema):
    price_fen: StrictInt | None = Field(None, ge=0, description="null: the HQ price")
    is_available: StrictBool = True


class StorePriceOut(Schema):
    store_id: int
    product_id: int
    price_fen: int | None
    effective_price_fen: int
    is_available: bool


class LinkIn(InSchema):
    product_ids: list[int] = Field(min_length=1, max_length=2000)
    store_ids: list[int] = Field(min_length=1, max_length=200)


class LinkOut(Schema):
    linked: int


class GroupIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    product_ids: list[int] = Field([], max_length=5000)


class GroupOut(Schema):
    id: int
    name: str
    product_ids: list[int]


class StockIn(InSchema):
    quantity: StrictInt = Field(description="received (above zero), or with adjustment=true the change after a count")
    adjustment: StrictBool = False
    note: str = Field("", max_length=200)


class StockOut(Schema):
    store_id: int
    product_id: int
    name: str
    quantity: int
    low_stock_threshold: int | None
    low: bool


class StockEntryOut(Schema):
    id: int
    delta: int
    quantity_after: int
    reason: str
    ref_type: str
    ref_id: int | None
    note: str
    staff_id: int | None
    created_at: datetime
