from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    name = "mendian.cards"
    label = "cards"
    verbose_name = _("Cards")

    def ready(self) -> None:
        from mendian.tenancy.audit import register_audit_actions
        from mendian.tenancy.navigation import register_nav
        from mendian.tenancy.permissions import register_permissions

        from .permissions import AUDIT_ACTIONS, NAV, PERMISSIONS

        register_permissions(PERMISSIONS)
        register_audit_actions(AUDIT_ACTIONS)
        register_nav(*NAV)
