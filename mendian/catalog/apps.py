from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "mendian.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from mendian.tenancy.audit import register_audit_actions
        from mendian.tenancy.navigation import NavItem, register_nav
        from mendian.tenancy.permissions import register_permissions

        from .permissions import CATALOG_AUDIT_ACTIONS, CATALOG_PERMISSIONS

        register_permissions(CATALOG_PERMISSIONS)
        register_audit_actions(CATALOG_AUDIT_ACTIONS)
        register_nav(NavItem("catalog:list", _("Products & services"), "box-seam", "catalog.view", 40))
