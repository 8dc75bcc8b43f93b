from django.utils.translation import gettext_lazy as _

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import CASHIER, FINANCE, HQ_ADMIN, STORE_MANAGER, Permission

_WALLET = _("Stored value")

PERMISSIONS = (
    Permission("wallet.recharge", _("Top up members' stored value"), _WALLET, (HQ_ADMIN, STORE_MANAGER, CASHIER)),
    Permission("wallet.refund", _("Refund recharges"), _WALLET, (HQ_ADMIN, STORE_MANAGER)),
    Permission("wallet.settings", _("Set recharge plans"), _WALLET, (HQ_ADMIN,)),
    Permission("wallet.reports", _("Stored-value liability and settlement reports"), _WALLET, (HQ_ADMIN, FINANCE)),
)

AUDIT_ACTIONS = {
    "recharge_plan.created": _("Recharge plan created"),
    "recharge_plan.updated": _("Recharge plan edited"),
    "wallet.recharged": _("Recharge"),
    "wallet.recharge_refunded": _("Recharge refunded"),
}

NAV = (
    NavItem("wallet:plans", _("Recharge plans"), "wallet2", "wallet.settings", 62),
    NavItem("wallet:reports", _("Stored value"), "cash-coin", "wallet.reports", 70),
)
