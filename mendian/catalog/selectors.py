from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.core.generation import cached_many
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store

from .models import Category, Product, StockLevel


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


def sellable_products(*, merchant_id: int, store_id: int, product_ids: set[int], with_groups: bool = True,
                      generation: int | None = None) -> dict[int, SellableProduct]:
    """The products of a cart for one store with the store's price; refuses what this store cannot sell.

    One query (and one more for the product groups when ``with_groups``: only coupons need them), or
    none with a settings ``generation``, whose cache holds each product as this store sells it.
    """
    if generation is None:
        rows = _sellable_rows(merchant_id, store_id, product_ids, with_groups)
    else:
        names = {f"sell:{store_id}:{pid}": pid for pid in product_ids}
        cached = cached_many(merchant_id, generation, names, lambda missing: {
            f"sell:{store_id}:{pid}": row
            for pid, row in _sellable_rows(merchant_id, store_id, {names[n] for n in missing}, True).items()})
        rows = {names[name]: row for name, row in cached.items()}
    missing = sorted(product_ids - set(rows))
    if missing:
        raise NotFound("product_not_found", _("Product not found."), detail={"product_ids": missing})
    result = {}
    for product_id, (product, group_ids) in rows.items():
        linked = product.link_id is not None
        if not product.is_active:
            raise InvalidInput("product_inactive", _("%(product)s is no longer on sale.") % {"product": product.name},
                               detail={"product_id": product_id})
        if (linked and not product.link_available) or (not linked and not product.all_stores):
            raise InvalidInput("product_not_sold_here", _("%(product)s is not sold in this store.")
                               % {"product": product.name}, detail={"product_id": product_id})
        price = product.link_price_fen if linked and product.link_price_fen is not None else product.price_fen
        result[product_id] = SellableProduct(product=product, unit_price_fen=price, group_ids=group_ids)
    return result


def _sellable_rows(merchant_id: int, store_id: int, product_ids: set[int],
                   with_groups: bool) -> dict[int, tuple[Product, frozenset[int]]]:
    products = {p.pk: p for p in Product.objects.filter(merchant_id=merchant_id, pk__in=product_ids).annotate(
        link=FilteredRelation("store_links", condition=Q(store_links__store_id=store_id)),
        link_id=F("link__id"), link_price_fen=F("link__price_fen"), link_available=F("link__is_available"))}
    groups: dict[int, set[int]] = {}
    if with_groups and products:
        for product_id, group_id in Product.groups.through.objects.filter(product_id__in=products).values_list(
                "product_id", "productgroup_id"):
            groups.setdefault(product_id, set()).add(group_id)
    return {pid: (product, frozenset(groups.get(pid, ()))) for pid, product in products.items()}


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
