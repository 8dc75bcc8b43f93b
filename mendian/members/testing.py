"""Builders for tests: members and their money, made through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from mendian.tenancy.testing import MerchantWorld

from .models import Member
from .services import register_member

_phones = itertools.count(13_900_000_000 + 1)


def next_phone() -> str:
    return str(next(_phones))


def make_member(world: MerchantWorld, *, store_index: int = 0, **fields: Any) -> Member:
    fields.setdefault("phone", next_phone())
    fields.setdefault("name", "测试会员")
    return register_member(merchant=world.merchant, store=world.stores[store_index], channel=Member.Channel.COUNTER,
                           actor=world.access(), **fields)
