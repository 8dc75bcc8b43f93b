from django.utils.translation import gettext_lazy as _

from mendian.tenancy.permissions import (
    CASHIER,
    FINANCE,
    HQ_ADMIN,
    MARKETER,
    STORE_MANAGER,
    Permission,
)

_CATALOG = _("Catalogue")

CATALOG_PERMISSIONS = (
    Permission("catalog.view", _("View products and services"), _CATALOG,
               (HQ_ADMIN, STORE_MANAGER, CASHIER, MARKETER, FINANCE)),
    Permission("catalog.manage", _("Add and edit products and services"), _CATALOG, (HQ_ADMIN,)),
)

CATALOG_AUDIT_ACTIONS = {
    "product.created": _("Product created"),
    "product.updated": _("Product edited"),
    "category.created": _("Category created"),
}
