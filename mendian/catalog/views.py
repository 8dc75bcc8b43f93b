"""Catalogue pages: products and services, with categories."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.views.decorators import staff_page

from . import selectors
from .forms import ProductForm
from .models import Product, ProductGroup
from .services import category_create, product_create, product_update


@staff_page("catalog.view")
def product_list(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    kind = request.GET.get("kind") if request.GET.get("kind") in Product.Kind.values else None
    products = selectors.product_list(access=request.access, q=q or None, kind=kind).order_by("-is_active", "name")
    context = {"products": products[:500], "q": q, "kind": kind or "", "kinds": Product.Kind.choices,
               "categories": selectors.category_list(access=request.access),
               "stores": tenancy_selectors.store_choices(access=request.access)}
    template = "catalog/products.html#product-table" if request.htmx else "catalog/products.html"
    return render(request, template, context)


def _groups(request: HttpRequest) -> list[ProductGroup]:
    return list(ProductGroup.objects.filter(merchant=request.access.merchant).order_by("name"))


@staff_page("catalog.manage")
@require_http_methods(["GET", "POST"])
def product_create_view(request: HttpRequest) -> HttpResponse:
    categories = list(selectors.category_list(access=request.access))
    form = ProductForm(request.POST or None, categories=categories, groups=_groups(request))
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(access=request.access, **form.product_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("%(name)s added.") % {"name": product.name})
            return redirect("catalog:list")
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


@staff_page("catalog.manage")
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_get(access=request.access, product_id=product_id)
    categories = list(selectors.category_list(access=request.access))
    initial = {name: getattr(product, name) for name in (
        "name", "kind", "price_fen", "member_price_fen", "cost_fen", "barcode", "unit", "duration_min", "buffer_min",
        "level_discount", "all_stores", "track_stock", "low_stock_threshold", "is_active")}
    initial.update(category=product.category_id, groups=list(product.groups.values_list("id", flat=True)))
    form = ProductForm(request.POST or None, initial=initial, categories=categories, groups=_groups(request))
    if request.method == "POST" and form.is_valid():
        try:
            product_update(access=request.access, product=product, **form.product_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog:list")
    return render(request, "catalog/product_form.html", {"form": form, "product": product})


@staff_page("catalog.manage")
@require_POST
def category_create_view(request: HttpRequest) -> HttpResponse:
    try:
        category = category_create(access=request.access, name=request.POST.get("name", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Category %(name)s added.") % {"name": category.name})
    return redirect("catalog:list")
