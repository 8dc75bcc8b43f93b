from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.pagination import paginate
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import selectors
from .models import Category, Product
from .schemas import CategoryIn, CategoryOut, ProductIn, ProductOut, ProductPatch
from .services import category_create, product_create, product_update

router = Router(tags=["catalogue"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def product_out(product: Product) -> dict[str, Any]:
    return {field: getattr(product, field) for field in ProductOut.model_fields}


@router.get("/products", response={200: page_of(ProductOut), **ERRORS})
def products_list(request: HttpRequest, params: Query[ListParams], q: str | None = None, kind: str | None = None,
                  category_id: int | None = None, active: bool | None = None):
    products = selectors.product_list(access=_access(request), q=q, kind=kind, category_id=category_id,
                                      active=active)
    page = paginate(products, cursor=params.cursor, limit=params.limit, order=("id",))
    return {"items": [product_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/products", response={201: ProductOut, **ERRORS})
@decorate_view(api_write)
def products_create(request: HttpRequest, payload: ProductIn) -> Status:
    return Status(201, product_out(product_create(access=_access(request), **payload.model_dump())))


@router.get("/products/{product_id}", response={200: ProductOut, **ERRORS})
def products_get(request: HttpRequest, product_id: int) -> dict[str, Any]:
    access = _access(request)
    product = selectors.product_get(access=access, product_id=product_id)
    access.require("catalog.view")
    return product_out(product)


@router.patch("/products/{product_id}", response={200: ProductOut, **ERRORS})
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
