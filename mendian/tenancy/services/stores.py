from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput
from mendian.core.validation import required_text

from ..access import Access
from ..audit import diff
from ..models import Merchant, Store
from ..validation import clean_coordinate, clean_opening_hours, clean_store_code, clean_timezone
from .audit import audit_record

EDITABLE_FIELDS = ("name", "code", "city", "address", "phone", "latitude", "longitude", "timezone", "opening_hours")


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = required_text(cleaned["name"], field="name", message=_("Enter the store's name."),
                                        max_length=100)
    if "code" in cleaned:
        cleaned["code"] = clean_store_code(cleaned["code"])
    if "timezone" in cleaned:
        cleaned["timezone"] = clean_timezone(cleaned["timezone"])
    if "latitude" in cleaned:
        cleaned["latitude"] = clean_coordinate(cleaned["latitude"], field="latitude", limit=90)
    if "longitude" in cleaned:
        cleaned["longitude"] = clean_coordinate(cleaned["longitude"], field="longitude", limit=180)
    if "opening_hours" in cleaned:
        cleaned["opening_hours"] = clean_opening_hours(cleaned["opening_hours"])
    for field in ("city", "address", "phone"):
        if field in cleaned:
            cleaned[field] = (cleaned[field] or "").strip()
    return cleaned


def _code_taken(code: str) -> Conflict:
    return Conflict("store_code_taken", _("Another store already uses this code."), field="code", detail={"code": code})


def _snapshot(store: Store) -> dict[str, Any]:
    return {
        field: (str(getattr(store, field)) if field in ("latitude", "longitude") and getattr(store, field) is not None
                else getattr(store, field))
        for field in EDITABLE_FIELDS
    }


def store_create_unchecked(*, merchant: Merchant, status: str = Store.Status.ACTIVE, **fields: Any) -> Store:
    """Create a store without a permission check: merchant set-up and the demo data only."""
    cleaned = _clean_fields(fields)
    cleaned.setdefault("timezone", merchant.timezone)
    try:
        with transaction.atomic():
            return Store.objects.create(merchant=merchant, status=status, **cleaned)
    except IntegrityError as exc:
        raise _code_taken(cleaned.get("code", "")) from exc


def store_create(*, access: Access, status: str = Store.Status.ACTIVE, **fields: Any) -> Store:
    """Open a store (HQ). New stores are ``active`` unless created as ``pending`` (待审核)."""
    access.require("stores.manage")
    if status not in (Store.Status.ACTIVE, Store.Status.PENDING):
        raise InvalidInput("invalid_status", _("A new store is open or pending review."), field="status")
    with transaction.atomic():
        store = store_create_unchecked(merchant=access.merchant, status=status, **fields)
        audit_record(
            merchant=access.merchant, actor=access, action="store.created", store=store, target=store,
            changes={"created": _snapshot(store) | {"status": store.status}},
        )
    return store


def store_update(*, access: Access, store: Store, **fields: Any) -> Store:
    """Edit a store's details and hours (stores in the caller's scope)."""
    access.require_store(store.pk)
    access.require("stores.edit")
    cleaned = _clean_fields(fields)
    before = _snapshot(store)
    for field, value in cleaned.items():
        setattr(store, field, value)
    changes = diff(before, _snapshot(store))
    if not changes:
        return store
    try:
        with transaction.atomic():
            store.save(update_fields=[*cleaned, "updated_at"])
            audit_record(
                merchant=access.merchant, actor=access, action="store.updated", store=store, target=store,
                changes=changes,
            )
    except IntegrityError as exc:
        store.refresh_from_db()
        raise _code_taken(cleaned.get("code", "")) from exc
    return store


_TRANSITIONS = {
    Store.Status.PENDING: {Store.Status.ACTIVE, Store.Status.CLOSED},
    Store.Status.ACTIVE: {Store.Status.CLOSED},
    Store.Status.CLOSED: {Store.Status.ACTIVE},
}


def store_set_status(*, access: Access, store: Store, status: str) -> Store:
    """Approve (pending → open), close, or reopen a store."""
    access.require_store(store.pk)
    access.require("stores.manage")
    if status not in Store.Status.values:
        raise InvalidInput("invalid_status", _("Unknown store status."), field="status")
    if status == store.status:
        return store
    if status not in _TRANSITIONS[Store.Status(store.status)]:
        raise Conflict(
            "invalid_status_change",
            _("A store cannot go from this status to that one."),
            detail={"from": store.status, "to": status},
        )
    old = store.status
    store.status = status
    store.closed_at = timezone.now() if status == Store.Status.CLOSED else None
    with transaction.atomic():
        store.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(
            merchant=access.merchant, actor=access, action="store.status_changed", store=store, target=store,
            changes={"status": [old, status]},
        )
    return store
