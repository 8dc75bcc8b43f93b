"""Members by the thousand (import, scale demo): members, their loyalty and stored-value accounts and
opening balances, written with bulk inserts in the caller's transaction. Registration one by one is
``services.register_member``; this is the same result for rows that arrive together."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mendian.core.bulk import Reserve, Table, reserve_ids, write_tables
from mendian.loyalty.bulk import OpeningPoints
from mendian.loyalty.bulk import opening_tables as open_loyalty
from mendian.loyalty.models import LoyaltyAccount, PointsEntry
from mendian.wallet.bulk import OpeningBalance
from mendian.wallet.bulk import opening_tables as open_wallet
from mendian.wallet.models import WalletAccount, WalletEntry

from .codes import CARD_DIGITS
from .models import Member

MEMBER_COLUMNS = ("id", "merchant_id", "created_at", "updated_at", "phone", "name", "gender", "birthday",
                  "birthday_is_lunar", "lunar_birthday_month", "lunar_birthday_day", "lunar_birthday_leap",
                  "registered_store_id", "source_channel", "source_staff_id", "referrer_id", "leaflet_code", "notes",
                  "card_no", "code_secret", "custom_fields", "order_count", "total_spent_fen")

# The tables ``bulk_register`` writes (for ``foreign_keys_checked_in_bulk`` around it).
TABLES = (Member, LoyaltyAccount, PointsEntry, WalletAccount, WalletEntry)


@dataclass
class NewMember:
    phone: str
    store_id: int = 0
    name: str = ""
    gender: str = Member.Gender.UNKNOWN
    birthday: date | None = None
    level_id: int | None = None
    points: int = 0
    principal_fen: int = 0
    bonus_fen: int = 0
    notes: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    joined_at: datetime | None = None
    channel: str | None = None


def card_numbers(count: int, taken: set[int]) -> list[str]:
    """``count`` new random card numbers, none in ``taken`` (which learns them, as integers)."""
    span, low = 9 * 10 ** (CARD_DIGITS - 1), 10 ** (CARD_DIGITS - 1)
    cards: list[str] = []
    while len(cards) < count:
        value = secrets.randbelow(span) + low
        if value not in taken:
            taken.add(value)
            cards.append(str(value))
    return cards


def bulk_register(*, merchant_id: int, rows: Sequence[NewMember], channel: str, when: datetime, today: date,
                  expire_after_days: int | None, taken_cards: set[int], staff_id: int | None = None) -> list[int]:
    """Write the members with their accounts; returns their ids in the order of ``rows``."""
    member_ids, tables = register_tables(merchant_id=merchant_id, rows=rows, channel=channel, when=when, today=today,
                                         expire_after_days=expire_after_days, taken_cards=taken_cards,
                                         staff_id=staff_id, reserve=reserve_ids)
    write_tables(tables)
    return member_ids


def register_tables(*, merchant_id: int, rows: Sequence[NewMember], channel: str, when: datetime, today: date,
                    expire_after_days: int | None, taken_cards: set[int], staff_id: int | None,
                    reserve: Reserve) -> tuple[list[int], list[Table]]:
    """The members and their accounts as rows of ``TABLES`` (ids from ``reserve``: a worker process makes
    them for a large import), with the members' ids in the order of ``rows``."""
    member_ids = reserve(Member, len(rows))
    cards = card_numbers(len(rows), taken_cards)
    no_fields = json.dumps({})
    members = [(mid, merchant_id, r.joined_at or when, r.joined_at or when, r.phone, r.name, r.gender, r.birthday,
                False, None, None, False, r.store_id, r.channel or channel, staff_id, None, "", r.notes, card,
                base64.b32encode(os.urandom(20)).decode(),
                json.dumps(r.custom, ensure_ascii=False) if r.custom else no_fields, 0, 0)
               for mid, r, card in zip(member_ids, rows, cards, strict=True)]
    loyalty = open_loyalty(merchant_id=merchant_id, when=when, today=today, expire_after_days=expire_after_days,
                           staff_id=staff_id, reserve=reserve,
                           rows=[OpeningPoints(mid, r.level_id, r.points, r.store_id)
                                 for mid, r in zip(member_ids, rows, strict=True)])
    wallet = open_wallet(merchant_id=merchant_id, when=when, staff_id=staff_id, reserve=reserve,
                         rows=[OpeningBalance(mid, r.store_id, r.principal_fen, r.bonus_fen)
                               for mid, r in zip(member_ids, rows, strict=True)])
    return member_ids, [Table(Member, MEMBER_COLUMNS, members), *loyalty, *wallet]
