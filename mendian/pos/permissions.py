from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import CASHIER, FINANCE, HQ_ADMIN, STORE_MANAGER, Permission

_COUNTER = _("Counter")

PERMISSIONS = (
    Permission("pos.sell", _("Sell at the counter"), _COUNTER, (HQ_ADMIN, STORE_MANAGER, CASHIER)),
    Permission("pos.refund", _("Refund orders"), _COUNTER, (HQ_ADMIN, STORE_MANAGER)),
    Permission("pos.orders", _("View orders"), _COUNTER, (HQ_ADMIN, STORE_MANAGER, CASHIER, FINANCE)),
    Permission("pos.shifts", _("Open and close shifts"), _COUNTER, (HQ_ADMIN, STORE_MANAGER, CASHIER)),
)

AUDIT_ACTIONS = {
    "order.completed": _("Order paid"),
    "order.refunded": _("Order refunded"),
    "shift.opened": _("Shift opened"),
    "shift.closed": _("Shift closed"),
}

NAV = (
    NavItem("pos:counter", _("Counter"), "calculator", "pos.sell", 5),
    NavItem("pos:orders", pgettext_lazy("list of sales", "Orders"), "receipt", "pos.orders", 20),
    NavItem("pos:shifts", _("Shifts"), "clock-history", "pos.shifts", 22),
)
