from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.errors import NotFound
from mendian.core.pagination import paginate
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import selectors
from .models import Category, Product, ProductGroup, StockEntry
from .schemas import (
    CategoryIn,
    CategoryOut,
    GroupIn,
    GroupOut,
    LinkIn,
    LinkOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    StockEntryOut,
    StockIn,
    StockOut,
    StorePriceIn,
    StorePriceOut,
)
from .services import (
    category_create,
    product_create,
    product_group_save,
    product_update,
    products_link,
    stock_receive,
    store_price_set,
)

router = Router(tags=["catalogue"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def product_out(product: Product) -> dict[str, Any]:
    fields = {field: getattr(product, field) for field in ProductOut.model_fields if field != "group_ids"}
    return fields | {"group_ids": sorted(g.pk for g in product.groups.all())}


@router.get("/products", response={200: page_of(ProductOut), **ERRORS})
def products_list(request: HttpRequest, params: Query[ListParams], q: str | None = None, kind: str | None = None,
                  category_id: int | None = None, active: bool | None = None):
    products = selectors.product_list(access=_access(request), q=q, kind=kind, category_id=category_id,
                                      active=active)
    page = paginate(products.prefetch_related("groups"), cursor=params.cursor, limit=params.limit, order=("id",))
    return {"items": [product_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/products", response={201: ProductOut, **ERRORS})
@decorate_view(api_write)
def products_create(request: HttpRequest, payload: ProductIn) -> Status:
    return Status(201, product_out(product_create(access=_access(request), **payload.model_dump())))


@router.get("/products/{int:product_id}", response={200: ProductOut, **ERRORS})
def products_get(request: HttpRequest, product_id: int) -> dict[str, Any]:
    access = _access(request)
    product = selectors.product_get(access=access, product_id=product_id)
    access.require("catalog.view")
    return product_out(product)


@router.patch("/products/{int:product_id}", response={200: ProductOut, **ERRORS})
@decorate_view(api_write)
def products_update(request: HttpRequest, product_id: int, payload: ProductPatch) -> dict[str, Any]:
    access = _access(request)
    product = selectors.product_get(access=access, product_id=product_id)
    return product_out(product_update(access=access, product=product, **payload.model_dump(exclude_unset=True)))


def category_out(category: Category) -> dict[str, Any]:
    return {"id": category.pk, "name": category.name, "sort_order": category.sort_order}


@router.get("/categories", response={200: list[CategoryOut], **ERRORS})
def categories_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [category_out(c) for c in selectors.category_list(access=_access(request))]


@router.post("/categories", response={201: CategoryOut, **ERRORS})
@decorate_view(api_write)
def categories_create(request: HttpRequest, payload: CategoryIn) -> Status:
    return Status(201, category_out(category_create(access=_access(request), **payload.model_dump())))


# --- store prices and links (总部创建，门店一键关联) -------------------------------------------
@router.put("/stores/{int:store_id}/prices/{int:product_id}", response={200: StorePriceOut, **ERRORS})
@decorate_view(api_write)
def store_price_put(request: HttpRequest, store_id: int, product_id: int, payload: StorePriceIn) -> dict[str, Any]:
    """The store's own price of a product (null: the HQ price) and whether the store sells it."""
    access = _access(request)
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    product = selectors.product_get(access=access, product_id=product_id)
    link = store_price_set(access=access, store=store, product=product, price_fen=payload.price_fen,
                           is_available=payload.is_available)
    return {"store_id": store.pk, "product_id": product.pk, "price_fen": link.price_fen,
            "effective_price_fen": link.price_fen if link.price_fen is not None else product.price_fen,
            "is_available": link.is_available}


@router.post("/products/link", response={200: LinkOut, **ERRORS})
@decorate_view(api_write)
def products_link_endpoint(request: HttpRequest, payload: LinkIn) -> dict[str, int]:
    """Link products to stores in one go; existing links keep their prices."""
    access = _access(request)
    stores = [tenancy_selectors.store_get(access=access, store_id=s) for s in dict.fromkeys(payload.store_ids)]
    products = [selectors.product_get(access=access, product_id=p) for p in dict.fromkeys(payload.product_ids)]
    return {"linked": products_link(access=access, products=products, stores=stores)}


# --- groups ------------------------------------------------------------------------------------
def group_out(group: ProductGroup) -> dict[str, Any]:
    return {"id": group.pk, "name": group.name, "product_ids": sorted(p.pk for p in group.products.all())}


@router.get("/product-groups", response={200: list[GroupOut], **ERRORS})
def groups_list(request: HttpRequest) -> list[dict[str, Any]]:
    access = _access(request)
    access.require("catalog.view")
    return [group_out(g) for g in ProductGroup.objects.filter(merchant=access.merchant).prefetch_related("products")
            .order_by("name")]


@router.post("/product-groups", response={201: GroupOut, **ERRORS})
@decorate_view(api_write)
def groups_create(request: HttpRequest, payload: GroupIn) -> Status:
    group = product_group_save(access=_access(request), name=payload.name, product_ids=payload.product_ids)
    return Status(201, group_out(group))


@router.put("/product-groups/{int:group_id}", response={200: GroupOut, **ERRORS})
@decorate_view(api_write)
def groups_update(request: HttpRequest, group_id: int, payload: GroupIn) -> dict[str, Any]:
    access = _access(request)
    group = ProductGroup.objects.filter(merchant=access.merchant, pk=group_id).first()
    if group is None:
        raise NotFound("group_not_found", _("Product group not found."))
    return group_out(product_group_save(access=access, group=group, name=payload.name,
                                        product_ids=payload.product_ids))


# --- stock -------------------------------------------------------------------------------------
@router.get("/stores/{int:store_id}/stock", response={200: list[StockOut], **ERRORS})
def stock_list(request: HttpRequest, store_id: int, low: bool = False) -> list[dict[str, Any]]:
    """Stock of the store's tracked goods; ``low=true``: only those at or under their alert level."""
    access = _access(request)
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    return [row.__dict__ for row in selectors.stock_levels(access=access, store=store, low_only=low)]


@router.post("/stores/{int:store_id}/stock/{int:product_id}", response={201: StockEntryOut, **ERRORS})
@decorate_view(api_write)
def stock_post(request: HttpRequest, store_id: int, product_id: int, payload: StockIn) -> Status:
    """Receive stock (入库), or adjust it after a count (盘点) with ``adjustment: true``."""
    access = _access(request)
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    product = selectors.product_get(access=access, product_id=product_id)
    entry = stock_receive(access=access, store=store, product=product, quantity=payload.quantity,
                          note=payload.note, adjustment=payload.adjustment)
    return Status(201, stock_entry_out(entry))


def stock_entry_out(entry: Any) -> dict[str, Any]:
    return {"id": entry.pk, "delta": entry.delta, "quantity_after": entry.quantity_after, "reason": entry.reason,
            "ref_type": entry.ref_type, "ref_id": entry.ref_id, "note": entry.note, "staff_id": entry.staff_id,
            "created_at": entry.created_at}


@router.get("/stores/{int:store_id}/stock/{int:product_id}/ledger", response={200: page_of(StockEntryOut), **ERRORS})
def stock_ledger(request: HttpRequest, store_id: int, product_id: int, params: Query[ListParams]):
    access = _access(request)
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    product = selectors.product_get(access=access, product_id=product_id)
    access.require("catalog.view")
    entries = StockEntry.objects.filter(merchant=access.merchant, store=store, product=product)
    page = paginate(entries, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [stock_entry_out(e) for e in page.items], "next_cursor": page.next_cursor}
