"""A store's catalogue: its prices, what it sells, its stock (门店价格、上下架、库存); product groups;
bulk import of products from Excel."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.core.money import parse_yuan
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.views.decorators import staff_page

from . import importing, selectors
from .models import Product, ProductGroup, StoreProduct
from .services import product_group_save, products_link, stock_receive, store_price_set


@staff_page()
def store_catalogue(request: HttpRequest, store_id: int) -> HttpResponse:
    access = request.access
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    access.require("catalog.view")
    links = {link.product_id: link for link in StoreProduct.objects.filter(store=store)}
    stock = {row.product_id: row for row in selectors.stock_levels(access=access, store=store)}
    rows = []
    for product in Product.objects.filter(merchant=access.merchant, is_active=True).order_by("kind", "name"):
        link = links.get(product.pk)
        sold = link.is_available if link is not None else product.all_stores
        rows.append({"product": product, "link": link, "sold": sold, "stock": stock.get(product.pk),
                     "price_fen": link.price_fen if link and link.price_fen is not None else product.price_fen})
    return render(request, "catalog/store.html", {"store": store, "rows": rows,
                                                  "stores": tenancy_selectors.store_choices(access=access)})


@staff_page()
@require_POST
def store_price(request: HttpRequest, store_id: int, product_id: int) -> HttpResponse:
    access = request.access
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    product = selectors.product_get(access=access, product_id=product_id)
    raw = request.POST.get("price", "").strip()
    try:
        price = parse_yuan(raw) if raw else None
        store_price_set(access=access, store=store, product=product, price_fen=price,
                        is_available=bool(request.POST.get("is_available")))
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, f"{product.name}: {error.message}")
    else:
        messages.success(request, _("%(product)s saved for %(store)s.") % {"product": product.name,
                                                                           "store": store.name})
    return redirect("catalog:store", store_id=store.pk)


@staff_page()
@require_POST
def store_stock(request: HttpRequest, store_id: int, product_id: int) -> HttpResponse:
    access = request.access
    store = tenancy_selectors.store_get(access=access, store_id=store_id)
    product = selectors.product_get(access=access, product_id=product_id)
    raw = request.POST.get("quantity", "").strip()
    try:
        quantity = int(raw)
        stock_receive(access=access, store=store, product=product, quantity=quantity,
                      note=request.POST.get("note", ""), adjustment=request.POST.get("kind") == "adjust")
    except ValueError:
        messages.error(request, _("Enter a whole number."))
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, f"{product.name}: {error.message}")
    else:
        messages.success(request, _("Stock of %(product)s updated.") % {"product": product.name})
    return redirect("catalog:store", store_id=store.pk)


@staff_page("catalog.manage")
@require_POST
def link_products(request: HttpRequest) -> HttpResponse:
    """总部创建，门店一键关联: the ticked products to the ticked stores."""
    access = request.access
    try:
        products = [selectors.product_get(access=access, product_id=int(p)) for p in request.POST.getlist("products")]
        stores = [tenancy_selectors.store_get(access=access, store_id=int(s)) for s in request.POST.getlist("stores")]
        if not products or not stores:
            raise ValueError
        linked = products_link(access=access, products=products, stores=stores)
    except (ValueError, DomainError):
        messages.error(request, _("Tick at least one product and one store."))
    else:
        messages.success(request, _("%(count)s links made.") % {"count": linked})
    return redirect("catalog:list")


@staff_page("catalog.view")
@require_http_methods(["GET", "POST"])
def groups(request: HttpRequest) -> HttpResponse:
    access = request.access
    products = list(Product.objects.filter(merchant=access.merchant, is_active=True).order_by("name"))
    if request.method == "POST":
        access.require("catalog.manage")
        group = None
        if request.POST.get("group_id", "").isdigit():
            group = ProductGroup.objects.filter(merchant=access.merchant, pk=int(request.POST["group_id"])).first()
        try:
            product_group_save(access=access, group=group, name=request.POST.get("name", ""),
                               product_ids=[int(p) for p in request.POST.getlist("products") if p.isdigit()])
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog:groups")
    all_groups = ProductGroup.objects.filter(merchant=access.merchant).prefetch_related("products").order_by("name")
    return render(request, "catalog/groups.html", {"groups": all_groups, "products": products})


@staff_page("catalog.manage")
@require_http_methods(["GET", "POST"])
def import_products(request: HttpRequest) -> HttpResponse:
    """Products from an Excel file: every row checked first; all imported, or none with the reasons."""
    report = None
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        try:
            report = importing.import_products(access=request.access, content=upload.read(), filename=upload.name)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            if report.ok:
                messages.success(request, _("%(created)s products added, %(updated)s updated.")
                                 % {"created": report.created, "updated": report.updated})
                return redirect("catalog:list")
    return render(request, "catalog/import.html", {"report": report, "columns": importing.COLUMNS})
