from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, StrictBool

from mendian.core.api import InSchema

Gender = Literal["unknown", "female", "male"]
Channel = Literal["counter", "self_signup", "activity", "import", "checkout", "api"]


class MemberIn(InSchema):
    phone: str = Field(min_length=1, max_length=32)
    name: str = Field("", max_length=60)
    gender: Gender = "unknown"
    birthday: date | None = None
    birthday_is_lunar: StrictBool = False
    store_id: int
    source: Channel = "api"
    referrer_id: int | None = None
    leaflet_code: str = Field("", max_length=40)
    notes: str = Field("", max_length=2000)
    custom_fields: dict[str, Any] = {}


class MemberPatch(InSchema):
    phone: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, max_length=60)
    gender: Gender | None = None
    birthday: date | None = None
    birthday_is_lunar: StrictBool | None = None
    notes: str | None = Field(None, max_length=2000)
    custom_fields: dict[str, Any] | None = None


class LevelRef(Schema):
    id: int
    name: str


class TagRef(Schema):
    id: int
    name: str


class SourceOut(Schema):
    channel: str
    staff_id: int | None
    referrer_id: int | None
    leaflet_code: str


class MemberOut(Schema):
    id: int
    phone: str
    name: str
    gender: str
    birthday: date | None
    birthday_is_lunar: bool
    card_no: str
    level: LevelRef | None
    points: int
    balance_fen: int
    principal_fen: int
    bonus_fen: int
    total_spent_fen: int
    order_count: int
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    tags: list[TagRef]
    registered_store_id: int
    source: SourceOut
    notes: str
    custom_fields: dict[str, Any]
    erased: bool
    created_at: datetime


class TagIn(InSchema):
    name: str = Field(min_length=1, max_length=40)
    group_id: int | None = None
    color: str = Field("secondary", max_length=16)


class TagOut(Schema):
    id: int
    name: str
    group_id: int | None
    color: str


class TagGroupIn(InSchema):
    name: str = Field(min_length=1, max_length=40)


class TagGroupOut(Schema):
    id: int
    name: str


class BulkTagIn(InSchema):
    member_ids: list[int] = Field(min_length=1, max_length=10000)
    tag_ids: list[int] = Field(min_length=1, max_length=50)


class BulkTagOut(Schema):
    added: int


class CustomFieldIn(InSchema):
    key: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=60)
    kind: Literal["text", "number", "date", "choice"] = "text"
    choices: list[str] = []
    required: StrictBool = False
    sort_order: int = Field(0, ge=0)
    is_active: StrictBool = True


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    kind: str
    choices: list[str]
    required: bool
    sort_order: int
    is_active: bool


class RecordFieldIn(InSchema):
    key: str = Field(min_length=1, max_length=40)
    label: str = Field("", max_length=60)
    kind: Literal["text", "number", "date", "choice"] = "text"
    choices: list[str] = []


class RecordTypeIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    fields: list[RecordFieldIn] = []


class RecordTypeOut(Schema):
    id: int
    name: str
    fields: list[dict[str, Any]]


class RecordIn(InSchema):
    record_type_id: int
    date: dt.date
    values: dict[str, Any] = {}
    notes: str = Field("", max_length=2000)
    store_id: int | None = None


class RecordOut(Schema):
    id: int
    record_type_id: int
    record_type: str
    date: dt.date
    values: dict[str, Any]
    notes: str
    store_id: int | None
    staff_id: int | None
    created_at: datetime
