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
    is_active: bool
    created_at: datetime


class CategoryIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    sort_order: StrictInt = Field(0, ge=0)


class CategoryOut(Schema):
    id: int
    name: str
    sort_order: int
