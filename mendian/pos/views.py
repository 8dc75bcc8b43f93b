"""Counter pages: the POS (收银台), orders with refunds, receipts, shifts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods

from mendian.catalog.models import Category, Product, StoreProduct
from mendian.core.errors import DomainError
from mendian.core.forms import StyledForm, YuanField, date_input
from mendian.core.idempotency import claim_form_key
from mendian.core.money import format_fen
from mendian.core.pagination import paginate
from mendian.core.time import local_today
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.models import Store
from mendian.tenancy.views.decorators import staff_page
from mendian.wallet import selectors as wallet_selectors
from mendian.wallet.models import RECHARGE_METHODS, PaymentMethod

from . import selectors
from .models import Order, Shift
from .services.context import CartLineRequest
from .services.holds import shift_close, shift_open, shift_takings
from .services.refunds import order_refund


def _counter_store(request: HttpRequest) -> Store | None:
    stores = [s for s in tenancy_selectors.store_choices(access=request.access) if s.status == Store.Status.ACTIVE]
    wanted = request.GET.get("store")
    for store in stores:
        if wanted and wanted.isdigit() and store.pk == int(wanted):
            return store
    return stores[0] if stores else None


def _catalogue(store: Store) -> list[dict[str, Any]]:
    """What the counter can sell in this store, with the store's prices (rule 1)."""
    links = {link.product_id: link for link in StoreProduct.objects.filter(store=store)}
    products = []
    for product in Product.objects.filter(merchant_id=store.merchant_id, is_active=True).order_by("name"):
        link = links.get(product.pk)
        if (link is not None and not link.is_available) or (link is None and not product.all_stores):
            continue
        price = link.price_fen if link is not None and link.price_fen is not None else product.price_fen
        products.append({"id": product.pk, "name": product.name, "price_fen": price, "kind": product.kind,
                         "member_price_fen": product.member_price_fen, "barcode": product.barcode,
                         "category_id": product.category_id})
    return products


@staff_page("pos.sell")
def counter(request: HttpRequest) -> HttpResponse:
    access = request.access
    store = _counter_store(request)
    if store is None:
        messages.error(request, _("None of your stores is open."))
        return redirect("home")
    plans = wallet_selectors.plans_for_store(access=access, store=store)
    config = {
        "store": {"id": store.pk, "name": store.name, "verify": store.verify_member_payments},
        "products": _catalogue(store),
        "categories": [{"id": c.pk, "name": c.name} for c in Category.objects.filter(merchant=access.merchant)
                       .order_by("sort_order", "name")],
        "plans": [{"id": p.pk, "name": p.name, "pay_fen": p.pay_fen, "bonus_fen": p.bonus_fen} for p in plans],
        "methods": [{"value": m.value, "label": str(m.label)} for m in PaymentMethod],
        "recharge_methods": [m.value for m in RECHARGE_METHODS],
        "can_recharge": access.can("wallet.recharge"), "can_register": access.can("members.manage"),
        "can_cards": access.can("cards.view"), "can_use_cards": access.can("cards.use"),
        "urls": {"api": "/api/v1", "receipt": reverse("pos:receipt", args=[0]).replace("/0/", "/{id}/"),
                 "member": reverse("members:detail", args=[0]).replace("/0/", "/{id}/")},
    }
    stores = [s for s in tenancy_selectors.store_choices(access=access) if s.status == Store.Status.ACTIVE]
    return render(request, "pos/counter.html", {"config": config, "store": store, "stores": stores,
                                                "labels": _counter_labels()})


def _counter_labels() -> dict[str, str]:
    """The counter's messages, in the page's language, for its script."""
    return {
        "pick_one": _("Several products match: pick one."), "nothing_found": _("No product matches “%(query)s”."),
        "network_error": _("The connection failed; nothing was charged. Try again."),
        "payments_must_match": _("The payments must add up to exactly the amount to pay."),
        "paid": _("Paid: %(no)s"), "change": _("change"), "no_member": _("No member found; you can register them."),
        "code_sent": _("Code sent to the member’s phone."), "registered": _("Member registered."),
        "amount_needed": _("Choose a plan or enter an amount."), "recharged": _("Recharged; balance"),
        "held": _("Cart held."), "empty_cart": _("Add at least one item."),
        "held_lines_gone": _("Some items of the held cart are no longer sold in this store and were left out."),
        "member": _("member"), "points_used": _("Points %(points)s"), "earns": _("Earns %(points)s points"),
        "left_to_pay": _("Left to pay"), "over_paid": _("Over by"), "items": _("Items: %(count)s"),
        "change_due": pgettext("money given back", "Change"),
        "over_balance": _("More than the stored-value balance (%(balance)s)."),
        "coupon_code_format": _("A coupon redeem code has 18 digits."),
        "coupon_unknown": _("No coupon has this code."),
        "coupon_used": _("Coupon %(name)s was already used on %(date)s."),
        "coupon_expired": _("Coupon %(name)s expired on %(date)s."),
        "coupon_void": _("Coupon %(name)s was voided."),
        "coupon_member": _("Member %(name)s selected"),
        "coupon_applied": _("Coupon applied: %(name)s"),
        "coupon_ready": _("Coupon %(name)s chosen for this sale."),
        "coupon_chosen": _("Coupon %(name)s chosen; it applies once the order qualifies: %(reason)s"),
        "coupon_not_here": _("Coupon %(name)s cannot be used at the counter now."),
        "coupon_waiting": _("chosen, applies once the order qualifies"),
        "card_used": _("Used %(service)s on %(card)s: %(left)s"),
        "uses_left": _("%(n)s left"), "unlimited": _("unlimited"),
        "pay_by_card": _("Paid by %(name)s"),
    }


def _status_label(order: Order) -> str:
    return str(order.get_status_display())


class OrderFilter(StyledForm):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=date_input())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=date_input())
    store = forms.TypedChoiceField(label=gettext_lazy("Store"), coerce=int, required=False, empty_value=None)


@staff_page("pos.orders")
def order_list(request: HttpRequest) -> HttpResponse:
    access = request.access
    today = local_today(access.merchant.timezone)
    # Only the filter's own fields bind the form: a "Load more" link (?cursor=…) of the default
    # period must keep that period, not fall back to every order ever.
    filtered = any(name in request.GET for name in OrderFilter.base_fields)
    form = OrderFilter(request.GET if filtered else None,
                       initial={"date_from": today - timedelta(days=6), "date_to": today})
    form.fields["store"].choices = [("", _("All stores")), *((s.pk, s.name) for s in
                                                             tenancy_selectors.store_choices(access=access))]
    data = form.cleaned_data if form.is_valid() else {"date_from": today - timedelta(days=6), "date_to": today}
    orders, next_cursor, error = [], None, None
    try:
        queryset = selectors.order_list(access=access, store_id=data.get("store"), date_from=data.get("date_from"),
                                        date_to=data.get("date_to")).select_related("store", "member")
        page = paginate(queryset, cursor=request.GET.get("cursor"), limit=50, order=("-id",))
        orders, next_cursor = page.items, page.next_cursor
    except DomainError as exc:
        error = exc.message
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "rows": [(order, _status_label(order)) for order in orders], "next_cursor": next_cursor,
               "query": query.urlencode(), "error": error}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "pos/orders.html#order-rows", context)
    return render(request, "pos/orders.html", context)


@staff_page()
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(access=request.access, order_id=order_id)
    order = selectors.order_with_details(order_id=order.pk)
    refunds = [(refund, [(_method_label(row.payment.method), row) for row in refund.payments.all()])
               for refund in order.refunds.select_related("staff").prefetch_related("payments__payment")
               .order_by("created_at", "pk")]
    lines = list(order.lines.all())
    refundable = [(line, line.qty - line.refunded_qty) for line in lines if line.refunded_qty < line.qty]
    return render(request, "pos/order_detail.html", {
        "order": order, "status": _status_label(order), "lines": lines, "refunds": refunds, "refundable": refundable,
        "payments": [(_method_label(p.method), p) for p in order.payments.all()], "once": uuid.uuid4().hex})


def _method_label(method: str) -> str:
    """A payment method as people call it (现金, 微信支付), not its code."""
    return str(dict(PaymentMethod.choices).get(method, method))


@staff_page()
@require_http_methods(["GET", "POST"])
def order_refund_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """The refund form's target; a GET (e.g. back from the login page) shows the order and its form."""
    access = request.access
    order = selectors.order_get(access=access, order_id=order_id)
    if request.method != "POST":
        return redirect("pos:order", order_id=order.pk)
    lines, typo = [], False
    for line in order.lines.all():
        raw = request.POST.get(f"qty_{line.pk}", "").strip()
        if raw and not raw.isdigit():
            typo = True  # "-1", "1.5", "abc": refund nothing rather than only the other lines
        elif raw and int(raw) > 0:
            lines.append(CartLineRequest(line.product_id, int(raw)))
    if typo:
        lines = [CartLineRequest(0, 0)]  # the service's "whole quantity above zero" refusal
    try:
        with transaction.atomic():
            # The form's key, claimed with the refund: a double click refunds once (a refusal frees it).
            if not claim_form_key(merchant_id=access.merchant.pk, key=request.POST.get("once", ""),
                                  path=request.path):
                messages.info(request, _("This refund was already recorded."))
                return redirect("pos:order", order_id=order.pk)
            refund = order_refund(access=access, order=order, reason=request.POST.get("reason", ""),
                                  lines=None if request.POST.get("all") else lines or [CartLineRequest(0, 0)])
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Refunded %(amount)s.") % {"amount": format_fen(refund.amount_fen)})
    return redirect("pos:order", order_id=order.pk)


@staff_page()
def receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    """The receipt, laid out for 58 mm or 80 mm thermal paper."""
    order = selectors.order_get(access=request.access, order_id=order_id)
    order = selectors.order_with_details(order_id=order.pk)
    width = "80" if request.GET.get("width") == "80" else "58"
    # Lines at the list price so that they add up to the subtotal printed under them; the member
    # discount, coupons and points follow as their own rows.
    lines = [(line, line.line_price_fen + line.member_discount_fen) for line in order.lines.all()]
    return render(request, "pos/receipt.html", {
        "order": order, "lines": lines, "width": width, "merchant": request.access.merchant,
        "payments": [(_method_label(p.method), p) for p in order.payments.all()]})


class OpenShiftForm(StyledForm):
    store = forms.TypedChoiceField(label=gettext_lazy("Store"), coerce=int)
    float_fen = YuanField(label=gettext_lazy("Cash float (yuan)"))


class CloseShiftForm(StyledForm):
    shift = forms.IntegerField(widget=forms.HiddenInput)
    counted_cash_fen = YuanField(label=gettext_lazy("Cash counted in the drawer (yuan)"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


@staff_page("pos.shifts")
@require_http_methods(["GET", "POST"])
def shifts(request: HttpRequest) -> HttpResponse:
    access = request.access
    stores = [s for s in tenancy_selectors.store_choices(access=access) if s.status == Store.Status.ACTIVE]
    open_shift = Shift.objects.filter(merchant=access.merchant, staff=access.staff, closed_at__isnull=True)\
        .select_related("store").first()
    action = request.POST.get("action")
    open_form = OpenShiftForm(request.POST if action == "open" else None)
    open_form.fields["store"].choices = [(s.pk, s.name) for s in stores]
    # A close form sent again (double click, a second tab, the back button) must not close a newer shift.
    stale = action == "close" and (open_shift is None or request.POST.get("shift") != str(open_shift.pk))
    close_form = CloseShiftForm(request.POST if action == "close" and not stale else None,
                                initial={"shift": open_shift.pk if open_shift else None})
    if stale:
        messages.error(request, _("This shift is already closed."))
    elif request.method == "POST":
        try:
            if action == "open" and open_form.is_valid():
                store = tenancy_selectors.store_get(access=access, store_id=open_form.cleaned_data["store"])
                shift_open(access=access, store=store, float_fen=open_form.cleaned_data["float_fen"] or 0)
                messages.success(request, _("Shift opened."))
                return redirect("pos:shifts")
            if action == "close" and open_shift and close_form.is_valid():
                closed = shift_close(access=access, shift=open_shift,
                                     counted_cash_fen=close_form.cleaned_data["counted_cash_fen"] or 0,
                                     note=close_form.cleaned_data["note"])
                messages.success(request, _("Shift closed."))
                return redirect("pos:shift", shift_id=closed.pk)
        except DomainError as error:
            messages.error(request, str(error.message))
    running = _takings_rows(shift_takings(shift=open_shift, until=timezone.now())) if open_shift else []
    recent = Shift.objects.filter(merchant=access.merchant, closed_at__isnull=False).select_related("store", "staff")
    if access.store_ids is not None:
        recent = recent.filter(store__in=access.store_ids)
    return render(request, "pos/shifts.html", {"open_shift": open_shift, "open_form": open_form,
                                               "close_form": close_form, "running": running,
                                               "recent": recent.order_by("-closed_at")[:30]})


@staff_page()
def shift_detail(request: HttpRequest, shift_id: int) -> HttpResponse:
    access = request.access
    shift = Shift.objects.filter(merchant=access.merchant, pk=shift_id).select_related("store", "staff").first()
    if shift is None or not access.sees_store(shift.store_id):
        raise Http404
    access.require("pos.shifts")
    return render(request, "pos/shift_detail.html", {"shift": shift, "takings": _takings_rows(shift.takings or {})})


def _takings_rows(takings: dict[str, int]) -> list[tuple[str, int]]:
    """Takings by payment method, in the order of the methods, named as people call them."""
    order = {method: index for index, method in enumerate(PaymentMethod.values)}
    return [(_method_label(method), fen) for method, fen in
            sorted(takings.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))]

