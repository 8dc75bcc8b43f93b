"""The overview page and the three-step onboarding (三步完成开店)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mendian.catalog import selectors as catalog_selectors
from mendian.catalog.forms import ProductForm
from mendian.catalog.services import product_create
from mendian.core.errors import DomainError
from mendian.core.qr import qr_svg

from .. import selectors
from ..audit import audit_action_label
from ..forms import StoreForm
from ..models import Store
from ..services.merchants import merchant_complete_onboarding
from ..services.stores import store_create, store_update
from .decorators import staff_page
from .stores import store_signup_url

STEPS = (
    ("store", gettext_lazy("Your store")),
    ("products", gettext_lazy("Services and products")),
    ("promote", gettext_lazy("Promote your store")),
)


def _onboarding_pending(request: HttpRequest) -> bool:
    access = request.access
    return access.merchant.onboarding_completed_at is None and access.can("merchant.settings")


@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    access = request.access
    if _onboarding_pending(request):
        return redirect("onboarding", step="store")
    stores = selectors.store_choices(access=access)
    counts = {status: 0 for status in Store.Status.values}
    for store in stores:
        counts[store.status] += 1
    context = {"stores": stores, "store_counts": counts}
    if access.can("staff.view"):
        context["staff_count"] = selectors.staff_list(access=access, active=True).count()
    if access.can("catalog.view"):
        context["product_count"] = catalog_selectors.product_list(access=access, active=True).count()
    if access.can("audit.view"):
        context["recent"] = [{"entry": e, "label": audit_action_label(e.action)}
                             for e in selectors.audit_list(access=access)[:8]]
    return render(request, "tenancy/home.html", context)


def _step_context(step: str) -> dict[str, object]:
    names = [name for name, _label in STEPS]
    index = names.index(step)
    return {"steps": STEPS, "step": step, "step_number": index + 1,
            "next_step": names[index + 1] if index + 1 < len(names) else None}


@staff_page("merchant.settings")
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest, step: str) -> HttpResponse:
    if step not in dict(STEPS):
        raise Http404
    view = {"store": _onboarding_store, "products": _onboarding_products, "promote": _onboarding_promote}[step]
    return view(request)


def _onboarding_store(request: HttpRequest) -> HttpResponse:
    access = request.access
    store = selectors.store_choices(access=access).first()
    initial = {"timezone": access.merchant.timezone, "code": "S001"}
    if store is not None:
        initial = {f: getattr(store, f) for f in ("name", "code", "city", "address", "phone", "latitude",
                                                   "longitude", "timezone", "opening_hours")}
    form = StoreForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if store is None:
                store_create(access=access, **form.store_fields())
            else:
                store_update(access=access, store=store, **form.store_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return redirect("onboarding", step="products")
    return render(request, "tenancy/onboarding.html", {**_step_context("store"), "form": form})


def _onboarding_products(request: HttpRequest) -> HttpResponse:
    access = request.access
    categories = list(catalog_selectors.category_list(access=access))
    form = ProductForm(request.POST or None, categories=categories, initial={"kind": "service", "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(access=access, **form.product_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("%(name)s added.") % {"name": product.name})
            return redirect("onboarding", step="products")
    products = catalog_selectors.product_list(access=access).order_by("-id")[:50]
    return render(request, "tenancy/onboarding.html",
                  {**_step_context("products"), "form": form, "products": products})


def _onboarding_promote(request: HttpRequest) -> HttpResponse:
    stores = [
        {"store": store, "url": url, "qr": qr_svg(url)}
        for store in selectors.store_choices(access=request.access)
        for url in [store_signup_url(request, store)]
    ]
    return render(request, "tenancy/onboarding.html", {**_step_context("promote"), "posters": stores})


@staff_page("merchant.settings")
@require_POST
def onboarding_finish(request: HttpRequest) -> HttpResponse:
    merchant_complete_onboarding(access=request.access)
    messages.success(request, _("Your store is ready. Welcome to Mendian!"))
    return redirect("home")


