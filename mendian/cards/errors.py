"""The refusals of cards, with the codes of API.md "Cards"."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound


def card_not_found() -> NotFound:
    return NotFound("card_not_found", _("Card not found."), field="member_card_id")


def card_exhausted(left: int) -> Conflict:
    return Conflict("card_exhausted", _("This card has no uses left for this service."),
                    detail={"uses_left": left})


def card_expired() -> Conflict:
    return Conflict("card_expired", _("This card has expired."))


def card_not_valid_here() -> InvalidInput:
    return InvalidInput("card_not_valid_here", _("This card is not valid in this store."), field="store_id")


def product_not_on_card() -> InvalidInput:
    return InvalidInput("product_not_on_card", _("This service is not on the card."), field="product_id")
