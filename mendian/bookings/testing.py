"""Builders for tests: bookable services, resources with schedules, bookings, made through the services."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mendian.catalog.models import Product
from mendian.core.time import local_today
from mendian.members.models import Member
from mendian.tenancy.testing import MerchantWorld

from .models import Booking, Resource
from .services.bookings import booking_create
from .services.resources import resource_create

_names = itertools.count(1)
ALL_WEEK = [{"weekday": d, "start": "09:00", "end": "21:00"} for d in range(7)]


def make_service(world: MerchantWorld, *, duration_min: int = 60, buffer_min: int = 0, **fields: Any) -> Product:
    fields.setdefault("name", f"{world.merchant.name}服务{next(_names)}")
    fields.setdefault("price_fen", 8800)
    return Product.objects.create(merchant=world.merchant, kind=Product.Kind.SERVICE, duration_min=duration_min,
                                  buffer_min=buffer_min, **fields)


def make_resource(world: MerchantWorld, services: list[Product], *, store_index: int = 0, kind: str = "staff",
                  weekly: list[dict] | None = None, capacity: int = 1, name: str | None = None) -> Resource:
    return resource_create(access=world.access(), store_id=world.stores[store_index].pk,
                           name=name or f"{world.merchant.name}技师{next(_names)}", kind=kind,
                           product_ids=[s.pk for s in services], capacity=capacity,
                           weekly=ALL_WEEK if weekly is None else weekly)


def future_day(world: MerchantWorld, *, days: int = 7, store_index: int = 0) -> date:
    return local_today(world.stores[store_index].timezone) + timedelta(days=days)


def at(day: date, hhmm: str, tz: str = "Asia/Shanghai") -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=ZoneInfo(tz))


def make_booking(world: MerchantWorld, service: Product, member: Member, start: datetime, *,
                 store_index: int = 0, resource: Resource | None = None, **kwargs: Any) -> Booking:
    return booking_create(access=world.access(), store_id=world.stores[store_index].pk, product_id=service.pk,
                          member_id=member.pk, start=start, resource_id=resource.pk if resource else None, **kwargs)
