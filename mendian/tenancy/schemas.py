from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, StrictBool

from mendian.core.api import InSchema


class OpeningPeriod(InSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["21:00"])


# --- auth ---------------------------------------------------------------------------------
class TokenIn(InSchema):
    username: str = Field(min_length=1, max_length=100, description="username or phone")
    password: str = Field(min_length=1, max_length=200)


class StaffBrief(Schema):
    id: int
    username: str
    name: str
    role: str
    role_name: str
    store_ids: list[int] | None = Field(description="null: every store of the merchant")
    merchant_id: int
    merchant_name: str
    permissions: list[str]


class TokenOut(Schema):
    token: str
    expires_at: datetime | None
    staff: StaffBrief


class PasswordChangeIn(InSchema):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


# --- stores -------------------------------------------------------------------------------
class StoreIn(InSchema):
    name: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=32)
    city: str = Field("", max_length=50)
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=32)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    timezone: str | None = Field(None, max_length=64, examples=["Asia/Shanghai"])
    opening_hours: list[OpeningPeriod] = []
    status: Literal["active", "pending"] = "active"


class StorePatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, min_length=1, max_length=32)
    city: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=32)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    timezone: str | None = Field(None, max_length=64)
    opening_hours: list[OpeningPeriod] | None = None


class StoreStatusIn(InSchema):
    status: Literal["active", "closed"]


class StoreOut(Schema):
    id: int
    name: str
    code: str
    city: str
    address: str
    phone: str
    latitude: float | None
    longitude: float | None
    timezone: str
    opening_hours: list[dict[str, Any]]
    status: str
    created_at: datetime


# --- staff --------------------------------------------------------------------------------
class StaffIn(InSchema):
    username: str = Field(min_length=1, max_length=60)
    name: str = Field("", max_length=60)
    role: str = Field(
        min_length=1, max_length=40,
        description="role code: owner, hq_admin, store_manager, cashier, marketer, finance or a custom role's code",
    )
    store_ids: list[int] = []
    password: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(None, max_length=32)


class StaffPatch(InSchema):
    name: str | None = Field(None, max_length=60)
    phone: str | None = Field(None, max_length=32, description='"" clears the phone')
    role: str | None = Field(None, max_length=40)
    store_ids: list[int] | None = None
    is_active: StrictBool | None = None


class StaffPasswordIn(InSchema):
    password: str = Field(min_length=1, max_length=200)


class StaffOut(Schema):
    id: int
    username: str
    name: str
    phone: str | None
    role: str
    role_name: str
    store_ids: list[int]
    is_active: bool
    last_login: datetime | None
    date_joined: datetime


# --- roles --------------------------------------------------------------------------------
class RoleIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    permissions: list[str] = []
    store_bound: StrictBool = False


class RolePatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=60)
    permissions: list[str] | None = None
    store_bound: StrictBool | None = None


class RoleOut(Schema):
    id: int
    code: str
    name: str
    is_builtin: bool
    store_bound: bool
    permissions: list[str]


class PermissionOut(Schema):
    code: str
    label: str
    group: str
    owner_only: bool


# --- tokens -------------------------------------------------------------------------------
class ApiTokenIn(InSchema):
    name: str = Field(min_length=1, max_length=100)
    staff_id: int | None = Field(None, description="the staff account the token acts as (default: you)")
    expires_at: datetime | None = None


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    kind: str
    staff_id: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="shown once; only its hash is kept")


# --- audit --------------------------------------------------------------------------------
class AuditOut(Schema):
    id: int
    action: str
    action_label: str
    actor_id: int | None
    actor_name: str
    store_id: int | None
    target_type: str
    target_id: int | None
    target_label: str
    changes: dict[str, Any]
    ip_address: str | None
    created_at: datetime
