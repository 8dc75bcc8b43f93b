from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import NotFound
from mendian.tenancy.access import Access

from .models import Category, Product


def product_list(*, access: Access, q: str | None = None, kind: str | None = None,
                 category_id: int | None = None, active: bool | None = None) -> QuerySet[Product]:
    access.require("catalog.view")
    products = Product.objects.filter(merchant=access.merchant).select_related("category")
    if q:
        products = products.filter(Q(name__icontains=q) | Q(barcode=q))
    if kind:
        products = products.filter(kind=kind)
    if category_id:
        products = products.filter(category_id=category_id)
    if active is not None:
        products = products.filter(is_active=active)
    return products


def product_get(*, access: Access, product_id: int) -> Product:
    product = Product.objects.filter(merchant=access.merchant, pk=product_id).select_related("category").first()
    if product is None:
        raise NotFound("product_not_found", _("Product not found."))
    return product


def category_list(*, access: Access) -> QuerySet[Category]:
    access.require("catalog.view")
    return Category.objects.filter(merchant=access.merchant).order_by("sort_order", "name")
