from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store

from .models import Category, Product, StockLevel, StoreProduct


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


@dataclass(frozen=True)
class SellableProduct:
    """A product as a store sells it now: API.md rule 1 (the store's price if set, else the HQ price)."""

    product: Product
    unit_price_fen: int
    group_ids: frozenset[int]


def sellable_products(*, merchant_id: int, store_id: int, product_ids: set[int]) -> dict[int, SellableProduct]:
    """The products of a cart for one store, in two queries; refuses what this store cannot sell."""
    products = {p.pk: p for p in Product.objects.filter(merchant_id=merchant_id, pk__in=product_ids)
                .prefetch_related("groups")}
    missing = sorted(product_ids - set(products))
    if missing:
        raise NotFound("product_not_found", _("Product not found."), detail={"product_ids": missing})
    links = {link.product_id: link
             for link in StoreProduct.objects.filter(store_id=store_id, product_id__in=product_ids)}
    result = {}
    for product_id, product in products.items():
        link = links.get(product_id)
        if not product.is_active:
            raise InvalidInput("product_inactive", _("%(product)s is no longer on sale.") % {"product": product.name},
                               detail={"product_id": product_id})
        if (link is not None and not link.is_available) or (link is None and not product.all_stores):
            raise InvalidInput("product_not_sold_here", _("%(product)s is not sold in this store.")
                               % {"product": product.name}, detail={"product_id": product_id})
        price = link.price_fen if link is not None and link.price_fen is not None else product.price_fen
        result[product_id] = SellableProduct(product=product, unit_price_fen=price,
                                             group_ids=frozenset(g.pk for g in product.groups.all()))
    return result


@dataclass(frozen=True)
class StockRow:
    store_id: int
    product_id: int
    name: str
    quantity: int
    low_stock_threshold: int | None
    low: bool


def stock_levels(*, access: Access, store: Store, low_only: bool = False) -> list[StockRow]:
    """The store's tracked goods with their stock (0 when nothing was ever received)."""
    access.require("catalog.view")
    levels = dict(StockLevel.objects.filter(store=store).values_list("product_id", "quantity"))
    rows = []
    for product in Product.objects.filter(merchant=access.merchant, kind=Product.Kind.GOODS, track_stock=True,
                                          is_active=True).order_by("name"):
        quantity = levels.get(product.pk, 0)
        low = product.low_stock_threshold is not None and quantity <= product.low_stock_threshold
        if low_only and not low:
            continue
        rows.append(StockRow(store.pk, product.pk, product.name, quantity, product.low_stock_threshold, low))
    return rows
