from django.utils.translation import gettext_lazy as _

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import HQ_ADMIN, STORE_MANAGER, Permission

_LOYALTY = _("Levels and points")

PERMISSIONS = (
    Permission("loyalty.settings", _("Set levels and the points rule"), _LOYALTY, (HQ_ADMIN,)),
    Permission("loyalty.adjust_points", _("Adjust a member's points"), _LOYALTY, (HQ_ADMIN, STORE_MANAGER)),
    Permission("loyalty.change_level", _("Change a member's level by hand"), _LOYALTY, (HQ_ADMIN, STORE_MANAGER)),
)

AUDIT_ACTIONS = {
    "level.created": _("Level created"),
    "level.updated": _("Level edited"),
    "level.deleted": _("Level deleted"),
    "level.changed": _("Member level changed"),
    "points_rule.changed": _("Points rule changed"),
    "points.adjusted": _("Points adjusted"),
}

NAV = (NavItem("loyalty:settings", _("Levels & points"), "award", "loyalty.settings", 60),)
