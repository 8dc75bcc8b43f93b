"""``POST /members/{id}/cards`` (API.md "Cards"): a card sold through the checkout; and the member's cards
(``GET`` of the same path, which must sit on the same router)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.decorators import decorate_view
from pydantic import Field

from mendian.cards.api import card_out
from mendian.cards.schemas import CardOut
from mendian.cards.selectors import card_get, usable_cards
from mendian.cards.selectors import member_cards as member_cards_list
from mendian.core.api import ErrorOut, InSchema, page_of
from mendian.members import selectors as member_selectors
from mendian.promotions.engine import PaymentIn
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from .card_sales import card_sell
from .schemas import PaymentIn as PaymentSchema
from .schemas import VerificationIn

router = Router(tags=["cards"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class CardSaleIn(InSchema):
    template_id: int
    store_id: int
    payments: list[PaymentSchema] = Field(max_length=5, description="as at checkout; empty for a free card")
    verification: VerificationIn | None = None


class SoldCardOut(CardOut):
    order_no: str


@router.post("/members/{int:member_id}/cards", response={201: SoldCardOut, **ERRORS})
@decorate_view(api_write)
def member_card_sell(request: HttpRequest, member_id: int, payload: CardSaleIn) -> Status:
    """Sell a card to the member: an order of the card's product, paid as at checkout (stored value
    included); send an ``Idempotency-Key``."""
    access: Access = request.auth  # type: ignore[attr-defined]
    member = member_selectors.member_get(access=access, member_id=member_id)
    store = tenancy_selectors.store_get(access=access, store_id=payload.store_id)
    order, card = card_sell(access=access, member=member, template_id=payload.template_id, store=store,
                            payments=[PaymentIn(p.method, p.amount_fen, p.tendered_fen) for p in payload.payments],
                            verification=payload.verification.model_dump() if payload.verification else None,
                            savepoint=False)
    return Status(201, card_out(card_get(access=access, member_card_id=card.pk)) | {"order_no": order.no})


@router.get("/members/{int:member_id}/cards", response={200: page_of(CardOut), **ERRORS})
def member_cards(request: HttpRequest, member_id: int, usable_in_store: int | None = None) -> dict[str, Any]:
    """The member's cards, newest first (``usable_in_store``: only those usable now in that store)."""
    access: Access = request.auth  # type: ignore[attr-defined]
    member = member_selectors.member_get(access=access, member_id=member_id)
    if usable_in_store is not None:
        cards = usable_cards(access=access, member_id=member.pk, store_id=usable_in_store, now=timezone.now())
    else:
        cards = member_cards_list(access=access, member_id=member.pk)
    return {"items": [card_out(c) for c in cards], "next_cursor": None}
