from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "mendian.bookings"
    label = "bookings"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from mendian.core.scheduling import DailyJob, PeriodicJob, register_daily, register_periodic
        from mendian.tenancy.audit import register_audit_actions
        from mendian.tenancy.navigation import register_nav
        from mendian.tenancy.permissions import register_permissions

        from .permissions import AUDIT_ACTIONS, NAV, PERMISSIONS
        from .tasks import booking_reminders_daily, booking_reminders_soon

        register_permissions(PERMISSIONS)
        register_audit_actions(AUDIT_ACTIONS)
        register_nav(*NAV)
        register_daily(DailyJob("booking_reminders", booking_reminders_daily, hour=18))
        register_periodic(PeriodicJob("booking_reminders_soon", booking_reminders_soon, every_minutes=5))
