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
    Permission("catalog.store_prices", _("Set store prices and what their stores sell"), _CATALOG,
               (HQ_ADMIN, STORE_MANAGER)),
    Permission("catalog.stock", _("Receive and adjust stock in their stores"), _CATALOG, (HQ_ADMIN, STORE_MANAGER)),
)

CATALOG_AUDIT_ACTIONS = {
    "product.created": _("Product created"),
    "product.updated": _("Product edited"),
    "category.created": _("Category created"),
    "product_group.changed": _("Product group changed"),
    "store_price.changed": _("Store price changed"),
    "products.linked": _("Products linked to stores"),
    "stock.changed": _("Stock received or adjusted"),
    "products.imported": _("Products imported"),
}
