from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "mendian.tenancy"
    label = "tenancy"
    verbose_name = _("Merchants, stores and staff")

    def ready(self) -> None:
        from .audit import TENANCY_AUDIT_ACTIONS, register_audit_actions
        from .navigation import TENANCY_NAV, register_nav
        from .permissions import TENANCY_PERMISSIONS, register_permissions

        register_permissions(TENANCY_PERMISSIONS)
        register_audit_actions(TENANCY_AUDIT_ACTIONS)
        register_nav(*TENANCY_NAV)
