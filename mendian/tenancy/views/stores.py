"""Store pages: list, create, edit, open/close, and the printable sign-up QR poster."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.core.qr import qr_svg

from .. import selectors
from ..forms import StoreForm
from ..models import Store
from ..services.stores import store_create, store_set_status, store_update
from .decorators import staff_page


def store_signup_url(request: HttpRequest, store: Store) -> str:
    from django.conf import settings
    from django.urls import reverse

    path = reverse("portal:join", args=[store.signup_code])
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@staff_page("stores.view")
def store_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *Store.Status.values):
        status = None
    q = (request.GET.get("q") or "").strip()[:100]
    stores = selectors.store_list(access=request.access, status=status, q=q or None).order_by("code")
    context = {"stores": stores, "status": status or "", "q": q, "statuses": Store.Status.choices}
    template = "tenancy/stores.html#store-table" if request.htmx else "tenancy/stores.html"
    return render(request, template, context)


@staff_page("stores.manage")
@require_http_methods(["GET", "POST"])
def store_create_view(request: HttpRequest) -> HttpResponse:
    form = StoreForm(request.POST or None, initial={"timezone": request.access.merchant.timezone})
    if request.method == "POST" and form.is_valid():
        try:
            store = store_create(access=request.access, **form.store_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Store %(name)s created.") % {"name": store.name})
            return redirect("stores:detail", store_id=store.pk)
    return render(request, "tenancy/store_form.html", {"form": form, "store": None})


@staff_page("stores.view")
def store_detail(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get(access=request.access, store_id=store_id)
    staff_count = store.staff.filter(is_active=True).count()
    context = {"store": store, "staff_count": staff_count, "signup_url": store_signup_url(request, store)}
    return render(request, "tenancy/store_detail.html", context)


@staff_page()
@require_http_methods(["GET", "POST"])
def store_edit(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get(access=request.access, store_id=store_id)
    request.access.require("stores.edit")
    initial = {f: getattr(store, f) for f in ("name", "code", "city", "address", "phone", "latitude", "longitude",
                                               "timezone", "opening_hours")}
    form = StoreForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            store_update(access=request.access, store=store, **form.store_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Store saved."))
            return redirect("stores:detail", store_id=store.pk)
    return render(request, "tenancy/store_form.html", {"form": form, "store": store})


@staff_page()
@require_POST
def store_status(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get(access=request.access, store_id=store_id)
    try:
        store_set_status(access=request.access, store=store, status=request.POST.get("status", ""))
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Store status: %(status)s.") % {"status": store.get_status_display()})
    return redirect("stores:detail", store_id=store.pk)


@staff_page("stores.view")
def store_poster(request: HttpRequest, store_id: int) -> HttpResponse:
    """A printable A5 poster with the store's member sign-up QR code (扫码入会)."""
    store = selectors.store_get(access=request.access, store_id=store_id)
    url = store_signup_url(request, store)
    return render(request, "tenancy/store_poster.html", {"store": store, "signup_url": url, "qr": qr_svg(url)})
