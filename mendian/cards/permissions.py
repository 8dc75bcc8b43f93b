from django.utils.translation import gettext_lazy as _

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import CASHIER, FINANCE, HQ_ADMIN, MARKETER, STORE_MANAGER, Permission

_CARDS = _("Cards")

PERMISSIONS = (
    Permission("cards.view", _("See card templates and members' cards"), _CARDS,
               (HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER, FINANCE)),
    Permission("cards.manage", _("Create and change card templates"), _CARDS, (HQ_ADMIN, MARKETER)),
    Permission("cards.sell", _("Sell cards to members"), _CARDS, (HQ_ADMIN, STORE_MANAGER, CASHIER)),
    Permission("cards.use", _("Use members' cards (scan and consume)"), _CARDS, (HQ_ADMIN, STORE_MANAGER, CASHIER)),
    Permission("cards.transfer", _("Transfer a card to another member"), _CARDS, (HQ_ADMIN, STORE_MANAGER)),
)

AUDIT_ACTIONS = {
    "card_template.created": _("Card template created"),
    "card_template.updated": _("Card template edited"),
    "card_template.status": _("Card template paused, resumed or ended"),
    "card.sold": _("Card sold"),
    "card.refunded": _("Card refunded"),
    "card.used": _("Card used"),
    "card.use_reversed": _("Card use given back"),
    "card.transferred": _("Card transferred"),
}

NAV = (NavItem("cards:templates", _("Cards"), "credit-card-2-front", "cards.view", 44),)
