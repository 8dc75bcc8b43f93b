"""Writes on the catalogue."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.validation import required_text
from mendian.tenancy.access import Access
from mendian.tenancy.audit import diff
from mendian.tenancy.services.audit import audit_record

from .models import Category, Product

FIELDS = ("name", "kind", "category_id", "barcode", "unit", "price_fen", "member_price_fen", "cost_fen",
          "duration_min", "is_active")
MAX_PRICE_FEN = 100_000_000_00  # ¥100 million: anything above is a typing mistake


def _money(value: Any, field: str, *, optional: bool) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("invalid_amount", _("Amounts are whole numbers of fen."), field=field)
    if value < 0 or value > MAX_PRICE_FEN:
        raise InvalidInput("invalid_amount", _("This amount is out of range."), field=field)
    return value


def _clean(access: Access, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = required_text(cleaned["name"], field="name", message=_("Enter a name."), max_length=100)
    if "kind" in cleaned and cleaned["kind"] not in Product.Kind.values:
        raise InvalidInput("invalid_kind", _("A product is goods or a service."), field="kind")
    if "price_fen" in cleaned:
        cleaned["price_fen"] = _money(cleaned["price_fen"], "price_fen", optional=False)
    for field in ("member_price_fen", "cost_fen"):
        if field in cleaned:
            cleaned[field] = _money(cleaned[field], field, optional=True)
    if cleaned.get("category_id") is not None:
        if not Category.objects.filter(merchant=access.merchant, pk=cleaned["category_id"]).exists():
            raise NotFound("category_not_found", _("Category not found."), field="category_id")
    for field in ("barcode", "unit"):
        if field in cleaned:
            cleaned[field] = (cleaned[field] or "").strip()
    duration = cleaned.get("duration_min")
    if duration is not None and (not isinstance(duration, int) or not 1 <= duration <= 24 * 60):
        raise InvalidInput("invalid_duration", _("A duration is 1 to 1440 minutes."), field="duration_min")
    return cleaned


def _barcode_taken() -> Conflict:
    return Conflict("barcode_taken", _("Another product already has this barcode."), field="barcode")


def _snapshot(product: Product) -> dict[str, Any]:
    return {field: getattr(product, field) for field in FIELDS}


def product_create(*, access: Access, name: str, price_fen: int, kind: str = Product.Kind.GOODS,
                   **fields: Any) -> Product:
    access.require("catalog.manage")
    cleaned = _clean(access, {"name": name, "price_fen": price_fen, "kind": kind, **fields})
    try:
        with transaction.atomic():
            product = Product.objects.create(merchant=access.merchant, **cleaned)
            audit_record(merchant=access.merchant, actor=access, action="product.created", target=product,
                         changes={"created": _snapshot(product)})
    except IntegrityError as exc:
        raise _barcode_taken() from exc
    return product


def product_update(*, access: Access, product: Product, **fields: Any) -> Product:
    access.require("catalog.manage")
    cleaned = _clean(access, fields)
    before = _snapshot(product)
    for field, value in cleaned.items():
        setattr(product, field, value)
    changes = diff(before, _snapshot(product))
    if not changes:
        return product
    try:
        with transaction.atomic():
            product.save()
            audit_record(merchant=access.merchant, actor=access, action="product.updated", target=product,
                         changes=changes)
    except IntegrityError as exc:
        product.refresh_from_db()
        raise _barcode_taken() from exc
    return product


def category_create(*, access: Access, name: str, sort_order: int = 0) -> Category:
    access.require("catalog.manage")
    name = required_text(name, field="name", message=_("Enter a name."), max_length=60)
    try:
        with transaction.atomic():
            category = Category.objects.create(merchant=access.merchant, name=name, sort_order=sort_order)
            audit_record(merchant=access.merchant, actor=access, action="category.created", target=category)
    except IntegrityError as exc:
        raise Conflict("category_exists", _("A category with this name exists."), field="name") from exc
    return category
