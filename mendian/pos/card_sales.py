"""Selling a card outside a cart (``POST /members/{id}/cards``, the member profile's "sell a card"): a
checkout of one line, the card template's product, paid like any sale (stored value included)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from mendian.cards.models import CardTemplate, MemberCard
from mendian.core.errors import NotFound
from mendian.members.models import Member
from mendian.promotions.engine import PaymentIn
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store

from .models import Order
from .services.checkout import sale_checkout
from .services.context import CartLineRequest, SaleRequest


def card_sell(*, access: Access, member: Member, template_id: int, store: Store, payments: Sequence[PaymentIn],
              verification: dict | None = None, savepoint: bool = True) -> tuple[Order, MemberCard]:
    """Sell one card of the template to the member; the order and the card (one transaction)."""
    access.require("cards.sell")
    template = CardTemplate.objects.filter(merchant=access.merchant, pk=template_id).first() \
        if isinstance(template_id, int) and not isinstance(template_id, bool) else None
    if template is None:
        raise NotFound("card_template_not_found", _("Card template not found."), field="template_id")
    request = SaleRequest(store=store, member_id=member.pk, lines=(CartLineRequest(template.product_id, 1),),
                          payments=tuple(payments), verification=verification)
    order = sale_checkout(access=access, request=request, savepoint=savepoint)
    card = MemberCard.objects.get(merchant=access.merchant, order_id=order.pk)
    return order, card
