"""Lookups and checks shared by the booking services (all scoped to the caller's merchant and stores)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.core.errors import InvalidInput, NotFound
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Store
from mendian.tenancy.selectors import store_get

from ..models import BookingPolicy, Resource


def store_of(access: Access, store_id: int | None) -> Store:
    if store_id is None:
        raise NotFound("store_not_found", _("Store not found."))
    return store_get(access=access, store_id=store_id)


def bookable_product(merchant: Merchant, product_id: int | None) -> Product:
    product = Product.objects.filter(merchant=merchant, pk=product_id).first() if product_id else None
    if product is None:
        raise NotFound("product_not_found", _("Product not found."), field="product_id")
    if product.kind != Product.Kind.SERVICE or not product.duration_min or not product.is_active:
        raise InvalidInput("not_bookable", _("%(name)s is not a bookable service: it needs to be an active service "
                                             "with a duration.") % {"name": product.name}, field="product_id")
    return product


def member_of(access: Access, member_id: int | None) -> Member:
    member = Member.objects.filter(merchant=access.merchant, pk=member_id).first() if member_id else None
    if member is None or member.erased_at is not None:
        raise NotFound("member_not_found", _("Member not found."), field="member_id")
    return member


def resource_of(access: Access, resource_id: int | None, *, for_update: bool = False) -> Resource:
    """A resource of the caller's merchant in one of their stores (another's is 404)."""
    rows = Resource.objects.filter(merchant=access.merchant, pk=resource_id) if resource_id else Resource.objects.none()
    if access.store_ids is not None:
        rows = rows.filter(store_id__in=access.store_ids)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    resource = rows.first()
    if resource is None:
        raise NotFound("resource_not_found", _("Resource not found."), field="resource_id")
    return resource


def aware(value: datetime, store: Store) -> datetime:
    """A time from the caller: with its offset as given, or in the store's time zone when it has none."""
    if value.tzinfo is None:
        return value.replace(tzinfo=ZoneInfo(store.timezone))
    return value


def policy(merchant_id: int) -> BookingPolicy:
    found = BookingPolicy.objects.filter(merchant_id=merchant_id).first()
    return found or BookingPolicy(merchant_id=merchant_id)
