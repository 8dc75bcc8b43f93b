"""Every write of cards: templates, cards sold, used, given back, transferred and refunded.

``card_use`` is the one function that consumes a card (the API, the counter's checkout and bookings
call it); ``card_use_reverse`` gives a use back. Both lock the card's row, check, append a ledger entry
and update the balance in one transaction.
"""

from .sales import card_refund, card_transfer, cards_issue
from .templates import ItemIn, template_create, template_set_status, template_update
from .uses import MAX_QTY, card_usable_check, card_use, card_use_reverse, card_uses_give_back

__all__ = [
    "MAX_QTY", "ItemIn", "card_refund", "card_transfer", "card_usable_check", "card_use", "card_use_reverse",
    "card_uses_give_back", "cards_issue", "template_create", "template_set_status", "template_update",
]
