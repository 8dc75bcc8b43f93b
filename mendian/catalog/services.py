"""Writes on the catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.validation import required_text
from mendian.tenancy.access import Access
from mendian.tenancy.audit import diff
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .models import Category, Product, ProductGroup, StockEntry, StockLevel, StoreProduct

FIELDS = ("name", "kind", "category_id", "barcode", "unit", "price_fen", "member_price_fen", "cost_fen",
          "duration_min", "buffer_min", "level_discount", "all_stores", "track_stock", "low_stock_threshold",
          "is_active")
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
    if "kind" in cleaned and (cleaned["kind"] not in Product.Kind.values or cleaned["kind"] == Product.Kind.CARD):
        # A card product belongs to its card template and is made with it (``card_product_save``).
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
    buffer = cleaned.get("buffer_min")
    if buffer is not None and (not isinstance(buffer, int) or not 0 <= buffer <= 24 * 60):
        raise InvalidInput("invalid_duration", _("A buffer is 0 to 1440 minutes."), field="buffer_min")
    if cleaned.get("buffer_min") is None:
        cleaned.pop("buffer_min", None)
    for flag in ("level_discount", "all_stores", "track_stock", "is_active"):
        if flag in cleaned and not isinstance(cleaned[flag], bool):
            raise InvalidInput("invalid_flag", _("Enter true or false."), field=flag)
    threshold = cleaned.get("low_stock_threshold")
    if threshold is not None and (not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0):
        raise InvalidInput("invalid_quantity", _("Enter a whole number, not negative."), field="low_stock_threshold")
    return cleaned


def _barcode_taken() -> Conflict:
    return Conflict("barcode_taken", _("Another product already has this barcode."), field="barcode")


def _snapshot(product: Product) -> dict[str, Any]:
    return {field: getattr(product, field) for field in FIELDS}


def _groups(access: Access, group_ids: list[int] | None) -> list[ProductGroup] | None:
    if group_ids is None:
        return None
    groups = list(ProductGroup.objects.filter(merchant=access.merchant, pk__in=set(group_ids)))
    if len(groups) != len(set(group_ids)):
        raise NotFound("group_not_found", _("Product group not found."), field="group_ids")
    return groups


def product_create(*, access: Access, name: str, price_fen: int, kind: str = Product.Kind.GOODS,
                   group_ids: list[int] | None = None, **fields: Any) -> Product:
    access.require("catalog.manage")
    cleaned = _clean(access, {"name": name, "price_fen": price_fen, "kind": kind, **fields})
    groups = _groups(access, group_ids)
    try:
        with transaction.atomic():
            product = Product.objects.create(merchant=access.merchant, **cleaned)
            if groups:
                product.groups.set(groups)
            audit_record(merchant=access.merchant, actor=access, action="product.created", target=product,
                         changes={"created": _snapshot(product)})
    except IntegrityError as exc:
        raise _barcode_taken() from exc
    return product


def product_update(*, access: Access, product: Product, group_ids: list[int] | None = None,
                   **fields: Any) -> Product:
    access.require("catalog.manage")
    if product.kind == Product.Kind.CARD:
        raise InvalidInput("card_product", _("This product is a card: change it on its card template."),
                           field="kind")
    cleaned = _clean(access, fields)
    groups = _groups(access, group_ids)
    before = _snapshot(product)
    for field, value in cleaned.items():
        setattr(product, field, value)
    changes = diff(before, _snapshot(product))
    if groups is not None and {g.pk for g in groups} != set(product.groups.values_list("id", flat=True)):
        changes["group_ids"] = sorted(g.pk for g in groups)
    if not changes:
        return product
    try:
        with transaction.atomic():
            product.save()
            if groups is not None:
                product.groups.set(groups)
            audit_record(merchant=access.merchant, actor=access, action="product.updated", target=product,
                         changes=changes)
    except IntegrityError as exc:
        product.refresh_from_db()
        raise _barcode_taken() from exc
    return product


def card_product_save(*, merchant: Merchant, name: str, price_fen: int, is_active: bool,
                      product: Product | None = None) -> Product:
    """The catalogue product a card template is sold as (kind ``card``, no level discount), made or kept in
    step with the template by the cards app inside its own transaction (the template's audit covers it)."""
    price_fen = _money(price_fen, "price_fen", optional=False)
    if product is None:
        return Product.objects.create(merchant=merchant, name=name, kind=Product.Kind.CARD, price_fen=price_fen,
                                      level_discount=False, is_active=is_active)
    product.name, product.price_fen, product.is_active = name, price_fen, is_active
    product.save(update_fields=["name", "price_fen", "is_active", "updated_at"])
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


# --- groups, store links and prices ------------------------------------------------------
def product_group_save(*, access: Access, name: str, product_ids: list[int], group: ProductGroup | None = None
                       ) -> ProductGroup:
    access.require("catalog.manage")
    name = required_text(name, field="name", message=_("Enter a name."), max_length=60)
    products = list(Product.objects.filter(merchant=access.merchant, pk__in=set(product_ids)))
    if len(products) != len(set(product_ids)):
        raise NotFound("product_not_found", _("Product not found."), field="product_ids")
    group = group or ProductGroup(merchant=access.merchant)
    group.name = name
    try:
        with transaction.atomic():
            group.save()
            group.products.set(products)
            audit_record(merchant=access.merchant, actor=access, action="product_group.changed", target=group,
                         changes={"products": len(products)})
    except IntegrityError as exc:
        raise Conflict("group_exists", _("A group with this name exists."), field="name") from exc
    return group


def store_price_set(*, access: Access, store: Store, product: Product, price_fen: int | None,
                    is_available: bool = True) -> StoreProduct:
    """Link a product to a store with its store price (None: the HQ price) and whether the store sells it."""
    access.require_store(store.pk)
    access.require("catalog.store_prices")
    if price_fen is not None:
        _money(price_fen, "price_fen", optional=False)
    with transaction.atomic():
        link, _created = StoreProduct.objects.select_for_update().get_or_create(
            store=store, product=product, defaults={"merchant": access.merchant})
        before = {"price_fen": link.price_fen, "is_available": link.is_available}
        link.price_fen, link.is_available = price_fen, is_available
        link.save(update_fields=["price_fen", "is_available", "updated_at"])
        audit_record(merchant=access.merchant, actor=access, action="store_price.changed", target=product,
                     store=store, changes=diff(before, {"price_fen": price_fen, "is_available": is_available}))
    return link


def products_link(*, access: Access, products: list[Product], stores: list[Store]) -> int:
    """Link products to stores in one go (总部创建，门店一键关联); existing links are kept as they are."""
    access.require("catalog.manage")
    for store in stores:
        access.require_store(store.pk)
    existing = set(StoreProduct.objects.filter(store__in=stores, product__in=products)
                   .values_list("store_id", "product_id"))
    links = [StoreProduct(merchant=access.merchant, store=s, product=p) for s in stores for p in products
             if (s.pk, p.pk) not in existing]
    with transaction.atomic():
        StoreProduct.objects.bulk_create(links, ignore_conflicts=True)
        audit_record(merchant=access.merchant, actor=access, action="products.linked",
                     changes={"products": len(products), "stores": [s.code for s in stores], "new_links": len(links)})
    return len(links)


# --- stock ---------------------------------------------------------------------------------
def stock_change(*, merchant: Merchant, store: Store, product: Product, delta: int, reason: str,
                 staff: Staff | None = None, ref_type: str = "", ref_id: int | None = None, note: str = "",
                 when: datetime | None = None) -> StockEntry:
    """The one place stock changes (inside the caller's transaction); 409 when it would go below zero."""
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0 or abs(delta) > 10**9:
        raise InvalidInput("invalid_quantity", _("Quantities are whole numbers other than zero."), field="quantity")
    updated = _stock_add(store=store, product=product, delta=delta)
    if updated is None and delta > 0:
        try:
            with transaction.atomic():
                StockLevel.objects.create(merchant=merchant, store=store, product=product)
        except IntegrityError:
            pass  # created meanwhile by another sale or receipt
        updated = _stock_add(store=store, product=product, delta=delta)
    if updated is None:
        quantity = StockLevel.objects.filter(store=store, product=product).values_list("quantity", flat=True).first()
        raise Conflict("insufficient_stock", _("Not enough %(product)s in stock.") % {"product": product.name},
                       detail={"product_id": product.pk, "quantity": quantity or 0})
    level_id, quantity_after = updated
    return StockEntry.objects.create(merchant=merchant, level_id=level_id, store=store, product=product, delta=delta,
                                     quantity_after=quantity_after, reason=reason, ref_type=ref_type,
                                     ref_id=ref_id, note=note[:200], staff=staff, created_at=when or timezone.now())


def _stock_add(*, store: Store, product: Product, delta: int) -> tuple[int, int] | None:
    """(level id, new quantity), or None when there is no level yet or it would go below zero."""
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET quantity = quantity + %s WHERE store_id = %s AND product_id = %s "
                       f"AND quantity + %s >= 0 RETURNING id, quantity", [delta, store.pk, product.pk, delta])
        return cursor.fetchone()


def stock_receive(*, access: Access, store: Store, product: Product, quantity: int, note: str = "",
                  adjustment: bool = False) -> StockEntry:
    """Stock in (入库), or an adjustment up or down after a count (盘点), by staff of the store."""
    access.require_store(store.pk)
    access.require("catalog.stock")
    if product.kind != Product.Kind.GOODS:
        raise InvalidInput("not_goods", _("Only goods have stock."), field="product_id")
    if not adjustment and (not isinstance(quantity, int) or quantity <= 0):
        raise InvalidInput("invalid_quantity", _("Receive a quantity above zero."), field="quantity")
    with transaction.atomic():
        entry = stock_change(merchant=access.merchant, store=store, product=product, delta=quantity,
                             reason=StockEntry.Reason.ADJUST if adjustment else StockEntry.Reason.STOCK_IN,
                             staff=access.staff, note=note, ref_type="manual")
        audit_record(merchant=access.merchant, actor=access, action="stock.changed", target=product, store=store,
                     changes={"delta": quantity, "quantity_after": entry.quantity_after, "note": note})
    return entry
