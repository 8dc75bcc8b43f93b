"""Card templates and sold cards for tests, made through the real services (the checkout sells)."""

from __future__ import annotations

from typing import Any

from mendian.cards.models import CardTemplate, MemberCard
from mendian.cards.services import ItemIn, template_create
from mendian.members.models import Member
from mendian.pos.card_sales import card_sell
from mendian.promotions.engine import PaymentIn
from mendian.tenancy.testing import MerchantWorld


def make_template(world: MerchantWorld, *, kind: str = "punch", items: list[tuple[Any, int | None]] | None = None,
                  price_fen: int = 50000, **fields: Any) -> CardTemplate:
    items = items if items is not None else [(world.cut, 10)]
    fields.setdefault("valid_days", 365)
    return template_create(access=world.access(), name=fields.pop("name", f"{kind}卡"), kind=kind,
                           price_fen=price_fen, items=[ItemIn(p.pk, uses) for p, uses in items], **fields)


def sell(world: MerchantWorld, template: CardTemplate, member: Member, *, store_index: int = 0,
         method: str = "cash") -> MemberCard:
    payments = [PaymentIn(method, template.price_fen)] if template.price_fen else []
    _order, card = card_sell(access=world.access(), member=member, template_id=template.pk,
                             store=world.stores[store_index], payments=payments)
    return card
