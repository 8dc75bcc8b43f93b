from django.utils.translation import gettext_lazy as _

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import CASHIER, FINANCE, HQ_ADMIN, MARKETER, STORE_MANAGER, Permission

_COUPONS = _("Coupons and promotions")

PERMISSIONS = (
    Permission("coupons.view", _("See coupons and their results"), _COUPONS,
               (HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER, FINANCE)),
    Permission("coupons.manage", _("Create and change coupons"), _COUPONS, (HQ_ADMIN, MARKETER)),
    Permission("coupons.issue", _("Issue coupons to members"), _COUPONS, (HQ_ADMIN, MARKETER, STORE_MANAGER)),
    Permission("promotions.manage", _("Set up promotions"), _COUPONS, (HQ_ADMIN, MARKETER)),
    Permission("promotions.store", _("Take part in promotions for a store"), _COUPONS, (HQ_ADMIN, STORE_MANAGER)),
)

AUDIT_ACTIONS = {
    "coupon_template.created": _("Coupon created"),
    "coupon_template.updated": _("Coupon edited"),
    "coupon_template.status": _("Coupon paused, resumed or ended"),
    "coupon.issued": _("Coupons issued"),
    "coupon.issue_run": _("Coupons issued in the background"),
    "gift_pack.saved": _("Gift pack saved"),
    "promotion.created": _("Promotion created"),
    "promotion.updated": _("Promotion edited"),
    "promotion.status": _("Promotion paused, resumed or ended"),
    "promotion.store": _("A store joined or left a promotion"),
}

NAV = (
    NavItem("promotions:templates", _("Coupons"), "ticket-perforated", "coupons.view", 40),
    NavItem("promotions:promotions", _("Promotions"), "megaphone", "coupons.view", 42),
)
