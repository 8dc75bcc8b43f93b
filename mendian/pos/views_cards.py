"""Selling a card from the member's profile (the cards section's "sell" form): a checkout of the card,
paid in full by one method; answers with the cards section."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mendian.cards.views_member import answer
from mendian.core.errors import NotFound
from mendian.core.money import format_fen
from mendian.members import selectors as member_selectors
from mendian.promotions.engine import PaymentIn
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.views.decorators import staff_page

from .card_sales import card_sell
from .services.checkout import sale_quote
from .services.context import CartLineRequest, SaleRequest


@staff_page("cards.sell")
@require_POST
def member_card_sell(request: HttpRequest, member_id: int) -> HttpResponse:
    access = request.access
    member = member_selectors.member_get(access=access, member_id=member_id)

    def sell() -> str:
        from mendian.cards.models import CardTemplate

        raw_store, raw_template = request.POST.get("store_id", ""), request.POST.get("template_id", "")
        store = tenancy_selectors.store_get(access=access, store_id=int(raw_store) if raw_store.isdigit() else 0)
        template = CardTemplate.objects.filter(merchant=access.merchant, pk=int(raw_template)).first() \
            if raw_template.isdigit() else None
        if template is None:
            raise NotFound("card_template_not_found", _("Choose a card to sell."), field="template_id")
        # The price the counter would charge this member for it (promotions included), paid in full.
        quote = sale_quote(access=access, request=SaleRequest(store=store, member=member,
                                                              lines=(CartLineRequest(template.product_id, 1),)))
        payable = quote.priced.payable_fen
        method = request.POST.get("method", "cash")
        order, card = card_sell(access=access, member=member, template_id=template.pk, store=store,
                                payments=[PaymentIn(method, payable)] if payable else [])
        return _("Sold %(card)s for %(amount)s (order %(no)s).") % {
            "card": card.name, "amount": format_fen(payable), "no": order.no}

    return answer(request, member, sell)
