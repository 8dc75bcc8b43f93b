from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "mendian.promotions"
    label = "promotions"
    verbose_name = _("Coupons and promotions")

    def ready(self) -> None:
        from mendian.tenancy.audit import register_audit_actions
        from mendian.tenancy.navigation import register_nav
        from mendian.tenancy.permissions import register_permissions

        from .permissions import AUDIT_ACTIONS, NAV, PERMISSIONS

        register_permissions(PERMISSIONS)
        register_audit_actions(AUDIT_ACTIONS)
        register_nav(*NAV)

        from mendian.core.scheduling import DailyJob, register_daily

        from .tasks import birthday_gifts_daily

        register_daily(DailyJob("birthday_gifts", birthday_gifts_daily, hour=8))
