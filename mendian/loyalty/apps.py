from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "mendian.loyalty"
    label = "loyalty"
    verbose_name = _("Levels and points")

    def ready(self) -> None:
        from mendian.tenancy.audit import register_audit_actions
        from mendian.tenancy.navigation import register_nav
        from mendian.tenancy.permissions import register_permissions

        from .permissions import AUDIT_ACTIONS, NAV, PERMISSIONS

        register_permissions(PERMISSIONS)
        register_audit_actions(AUDIT_ACTIONS)
        register_nav(*NAV)

        from mendian.core.scheduling import DailyJob, register_daily

        from .tasks import birthday_points_daily, points_expire_daily

        register_daily(DailyJob("points_expire", points_expire_daily, hour=1))
        register_daily(DailyJob("birthday_points", birthday_points_daily, hour=8))
