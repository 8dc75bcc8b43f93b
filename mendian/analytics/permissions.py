from django.utils.translation import gettext_lazy as _

from mendian.tenancy.navigation import NavItem
from mendian.tenancy.permissions import FINANCE, HQ_ADMIN, MARKETER, STORE_MANAGER, Permission

_ANALYTICS = _("Segments and reports")

PERMISSIONS = (
    Permission("segments.view", _("See segments and rule tags"), _ANALYTICS, (HQ_ADMIN, MARKETER, STORE_MANAGER)),
    Permission("segments.manage", _("Create and change segments and rule tags"), _ANALYTICS, (HQ_ADMIN, MARKETER)),
    Permission("reports.view", _("See the sales dashboards"), _ANALYTICS, (HQ_ADMIN, MARKETER, STORE_MANAGER, FINANCE)),
    Permission("reports.rfm", _("See and score RFM"), _ANALYTICS, (HQ_ADMIN, MARKETER)),
    Permission("reports.finance", _("See the finance reconciliation"), _ANALYTICS, (HQ_ADMIN, FINANCE)),
)

AUDIT_ACTIONS = {
    "segment.created": _("Segment created"),
    "segment.updated": _("Segment edited"),
    "segment.deleted": _("Segment deleted"),
    "segment.exported": _("Segment exported"),
    "tag_rule.saved": _("Rule tag saved"),
    "rfm.settings": _("RFM scoring changed"),
}

NAV = (
    NavItem("analytics:dashboard", _("Dashboard"), "bar-chart-line", "reports.view", 2),
    NavItem("analytics:segments", _("Segments"), "funnel", "segments.view", 12),
    NavItem("analytics:rfm", _("RFM"), "grid-3x3", "reports.rfm", 14),
    NavItem("analytics:finance", _("Finance"), "cash-coin", "reports.finance", 70),
)
