from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput, NotFound
from mendian.tenancy.access import Access

from .models import Order


def order_list(*, access: Access, store_id: int | None = None, member_id: int | None = None,
               date_from: date | None = None, date_to: date | None = None) -> QuerySet[Order]:
    """Orders of the caller's stores, by business day (the store's local date)."""
    access.require("pos.orders")
    orders = Order.objects.filter(merchant=access.merchant)
    if access.store_ids is not None:
        orders = orders.filter(store__in=access.store_ids)
    if store_id:
        access.require_store(store_id)
        orders = orders.filter(store_id=store_id)
    if member_id:
        orders = orders.filter(member_id=member_id)
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("invalid_period", _("The period ends before it starts."), field="date_to")
    if date_from:
        orders = orders.filter(business_date__gte=date_from)
    if date_to:
        orders = orders.filter(business_date__lte=date_to)
    return orders


def order_get(*, access: Access, order_id: int) -> Order:
    order = Order.objects.filter(merchant=access.merchant, pk=order_id).select_related("store").first()
    if order is None or not access.sees_store(order.store_id):
        raise NotFound("order_not_found", _("Order not found."))
    access.require("pos.orders")
    return order


def order_with_details(*, order_id: int) -> Order:
    return Order.objects.select_related("store", "member").prefetch_related("lines", "payments").get(pk=order_id)
