from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "mendian.analytics"
    label = "analytics"
    verbose_name = _("Segments and reports")

    def ready(self) -> None:
        from mendian.core.scheduling import DailyJob, register_daily
        from mendian.tenancy.audit import register_audit_actions
        from mendian.tenancy.navigation import register_nav
        from mendian.tenancy.permissions import register_permissions

        from .permissions import AUDIT_ACTIONS, NAV, PERMISSIONS
        from .tasks import analytics_daily

        register_permissions(PERMISSIONS)
        register_audit_actions(AUDIT_ACTIONS)
        register_nav(*NAV)
        register_daily(DailyJob("analytics", analytics_daily, hour=3))

        from mendian.core.audiences import MemberSource, register_member_source

        from .segments import segment_audience, segment_choices

        register_member_source(MemberSource("segment", segment_choices, segment_audience))
