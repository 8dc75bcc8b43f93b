from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from mendian.core.api import InSchema

ResourceKind = Literal["staff", "room", "equipment"]


class WeeklyPeriod(InSchema):
    weekday: StrictInt = Field(ge=0, le=6, description="Monday 0 … Sunday 6")
    start: str = Field(description="HH:MM, the store's local time")
    end: str = Field(description="HH:MM, the store's local time")


class ExceptionIn(InSchema):
    date: date
    closed: StrictBool = True
    start: str | None = Field(None, description="with end and closed=false: away only for part of the day")
    end: str | None = None
    note: str | None = Field(None, max_length=100)


class ResourceIn(InSchema):
    store_id: StrictInt
    name: str = Field(max_length=60)
    kind: ResourceKind
    product_ids: list[StrictInt] = Field(description="the services it can do")
    capacity: StrictInt = Field(1, description="bookings it takes at once")
    staff_id: StrictInt | None = None
    weekly: list[WeeklyPeriod] | None = None


class ResourcePatch(InSchema):
    name: str | None = Field(None, max_length=60)
    kind: ResourceKind | None = None
    product_ids: list[StrictInt] | None = None
    capacity: StrictInt | None = None
    staff_id: StrictInt | None = None
    is_active: StrictBool | None = None


class ScheduleIn(InSchema):
    weekly: list[WeeklyPeriod]
    exceptions: list[ExceptionIn] | None = Field(None, description="replaces the exceptions when given")


class ExceptionOut(Schema):
    date: date
    closed: bool
    start: str | None
    end: str | None
    note: str


class ResourceOut(Schema):
    id: int
    store_id: int
    name: str
    kind: str
    capacity: int
    staff_id: int | None
    product_ids: list[int]
    is_active: bool
    weekly: list[dict]
    exceptions: list[ExceptionOut]


class RequirementsIn(InSchema):
    kinds: list[ResourceKind] = Field(description="one resource of each kind at once; [] = one of any kind")


class RequirementsOut(Schema):
    product_id: int
    kinds: list[str]


class PolicyIn(InSchema):
    cancel_cutoff_min: StrictInt


class PolicyOut(Schema):
    cancel_cutoff_min: int


class SlotOut(Schema):
    start: datetime
    end: datetime
    resource_ids: list[int]


class SlotsOut(Schema):
    slots: list[SlotOut]


class BookingIn(InSchema):
    store_id: StrictInt
    product_id: StrictInt
    member_id: StrictInt
    start: datetime = Field(description="ISO 8601 with offset (without one: the store's local time)")
    resource_id: StrictInt | None = None
    plan_id: StrictInt | None = Field(None, description="books the plan's next open session")
    note: str | None = Field(None, max_length=200)


class RescheduleIn(InSchema):
    start: datetime
    resource_id: StrictInt | None = None
    override_cutoff: StrictBool = False


class CancelIn(InSchema):
    reason: str | None = Field(None, max_length=200)
    override_cutoff: StrictBool = False


class CheckInIn(InSchema):
    member_card_id: StrictInt | None = Field(None, description="consume one use of this member card")


class BookingOut(Schema):
    id: int
    status: str
    store_id: int
    product_id: int
    member_id: int
    start: datetime
    end: datetime
    resource_id: int
    resource_ids: list[int]
    plan_id: int | None
    card_use_id: int | None
    checked_in_at: datetime | None
    cancelled_at: datetime | None


class BookingFilter(Schema):
    store_id: int | None = None
    member_id: int | None = None
    resource_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None


class ClassIn(InSchema):
    store_id: StrictInt
    name: str = Field(max_length=60)
    start: datetime
    duration_min: StrictInt
    capacity: StrictInt
    product_id: StrictInt | None = None
    resource_id: StrictInt | None = None
    repeat_weeks: StrictInt = Field(1, description="the same class every week, this many weeks (a timetable)")


class ClassOut(Schema):
    id: int
    store_id: int
    name: str
    start: datetime
    end: datetime
    duration_min: int
    capacity: int
    booked: int
    waitlisted: int
    product_id: int | None
    resource_id: int | None
    status: str


class ClassCreatedOut(ClassOut):
    series_ids: list[int]


class ClassFilter(Schema):
    store_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


class ClassBookingIn(InSchema):
    member_id: StrictInt
    waitlist: StrictBool = False


class ClassBookingOut(Schema):
    id: int
    class_id: int
    member_id: int
    status: str
    waitlist_position: int | None
    card_use_id: int | None


class PlanTemplateIn(InSchema):
    name: str = Field(max_length=60)
    product_id: StrictInt
    sessions: StrictInt
    interval_days: StrictInt


class PlanTemplateOut(Schema):
    id: int
    name: str
    product_id: int
    sessions: int
    interval_days: int
    is_active: bool


class PlanIn(InSchema):
    template_id: StrictInt
    staff_id: StrictInt
    store_id: StrictInt
    start_date: date


class PlanSessionOut(Schema):
    number: int
    due_date: date
    booking_id: int | None
    done_at: datetime | None


class PlanOut(Schema):
    id: int
    template_id: int
    name: str
    member_id: int
    staff_id: int
    store_id: int
    status: str
    done: int
    total: int
    next_due: date | None
    sessions: list[PlanSessionOut]
