"""Card templates (卡项): created, edited, paused or ended, with the catalogue product they are sold as."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.catalog.services import card_product_save
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.validation import required_text
from mendian.tenancy.access import Access
from mendian.tenancy.audit import diff
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record

from ..models import CardTemplate, CardTemplateItem

MAX_PRICE_FEN = 10_000_000_00
MAX_USES = 10_000


@dataclass(frozen=True)
class ItemIn:
    product_id: int
    uses: int | None = None


def _whole(value: Any, field: str, *, low: int, high: int, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"invalid_{field}", _("Enter a whole number from %(low)s to %(high)s.")
                           % {"low": low, "high": high}, field=field)
    return value


def _clean_items(access: Access, kind: str, items: Sequence[ItemIn]) -> list[tuple[Product, int | None]]:
    if not items:
        raise InvalidInput("items_required", _("Put at least one service on the card."), field="items")
    ids = [item.product_id for item in items]
    if len(ids) != len(set(ids)):
        raise InvalidInput("duplicate_item", _("Each service appears once on a card."), field="items")
    products = {p.pk: p for p in Product.objects.filter(merchant=access.merchant, pk__in=ids)}
    if len(products) != len(ids):
        raise NotFound("product_not_found", _("Product not found."), field="items",
                       detail={"product_ids": sorted(set(ids) - set(products))})
    if any(p.kind != Product.Kind.SERVICE for p in products.values()):
        raise InvalidInput("not_a_service", _("Cards hold services only."), field="items")
    if kind == CardTemplate.Kind.PUNCH and len(items) != 1:
        raise InvalidInput("punch_one_service", _("A punch card holds one service; use a combo card for several."),
                           field="items")
    cleaned = []
    for item in items:
        if kind == CardTemplate.Kind.PERIOD:
            if item.uses is not None:
                raise InvalidInput("period_no_uses", _("A period card has no counts: set a daily or weekly limit."),
                                   field="items")
            cleaned.append((products[item.product_id], None))
        else:
            cleaned.append((products[item.product_id], _whole(item.uses, "uses", low=1, high=MAX_USES,
                                                               optional=False)))
    return cleaned


def _clean_template(access: Access, fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = required_text(cleaned["name"], field="name", message=_("Enter a name."), max_length=60)
    if "description" in cleaned:
        cleaned["description"] = (cleaned["description"] or "").strip()[:200]
    if "price_fen" in cleaned:
        cleaned["price_fen"] = _whole(cleaned["price_fen"], "price_fen", low=0, high=MAX_PRICE_FEN, optional=False)
    for field in ("valid_days", "daily_limit", "weekly_limit"):
        if field in cleaned:
            cleaned[field] = _whole(cleaned[field], field, low=1, high=3660 if field == "valid_days" else 1000)
    if "validity" in cleaned and cleaned["validity"] not in CardTemplate.Validity.values:
        raise InvalidInput("invalid_validity", _("Choose how long the card is valid."), field="validity")
    if "refund_rule" in cleaned and cleaned["refund_rule"] not in CardTemplate.RefundRule.values:
        raise InvalidInput("invalid_refund_rule", _("Choose a refund rule."), field="refund_rule")
    if "transferable" in cleaned and not isinstance(cleaned["transferable"], bool):
        raise InvalidInput("invalid_flag", _("Enter true or false."), field="transferable")
    for field in ("valid_from", "valid_until"):
        value = cleaned.get(field)
        if value is not None and timezone.is_naive(value):
            # A time without an offset is the merchant's local time.
            cleaned[field] = timezone.make_aware(value, ZoneInfo(access.merchant.timezone))
    if "store_ids" in cleaned:
        store_ids = sorted(set(cleaned["store_ids"] or []))
        found = set(Store.objects.filter(merchant=access.merchant, pk__in=store_ids).values_list("id", flat=True))
        if len(found) != len(store_ids):
            raise NotFound("store_not_found", _("Store not found."), field="store_ids")
        cleaned["store_ids"] = store_ids
    return cleaned


def _check_validity(template: CardTemplate) -> None:
    if template.validity == CardTemplate.Validity.FIXED:
        if template.valid_until is None:
            raise InvalidInput("valid_until_required", _("Give the last day of a card with fixed dates."),
                               field="valid_until")
        if template.valid_from is not None and template.valid_from >= template.valid_until:
            raise InvalidInput("invalid_dates", _("The card must end after it starts."), field="valid_until")
        template.valid_days = None
    else:
        if template.valid_days is None:
            raise InvalidInput("valid_days_required", _("Give the number of days the card is valid."),
                               field="valid_days")
        template.valid_from = template.valid_until = None
    if template.kind != CardTemplate.Kind.PERIOD:
        template.daily_limit = template.weekly_limit = None


def _snapshot(template: CardTemplate) -> dict[str, Any]:
    names = ("name", "kind", "price_fen", "validity", "valid_days", "daily_limit", "weekly_limit", "store_ids",
             "transferable", "refund_rule", "status")
    return {name: getattr(template, name) for name in names}


def template_create(*, access: Access, name: str, kind: str, price_fen: int, items: Sequence[ItemIn],
                    **fields: Any) -> CardTemplate:
    """A new card template and the catalogue product it is sold as."""
    access.require("cards.manage")
    if kind not in CardTemplate.Kind.values:
        raise InvalidInput("invalid_kind", _("A card is a punch, period or combo card."), field="kind")
    cleaned = _clean_template(access, {"name": name, "price_fen": price_fen, **fields})
    lines = _clean_items(access, kind, items)
    template = CardTemplate(merchant=access.merchant, kind=kind, **cleaned)
    _check_validity(template)
    with transaction.atomic():
        template.product = card_product_save(merchant=access.merchant, name=template.name,
                                             price_fen=template.price_fen, is_active=True)
        template.save()
        CardTemplateItem.objects.bulk_create([CardTemplateItem(template=template, product=p, uses=uses)
                                              for p, uses in lines])
        audit_record(merchant=access.merchant, actor=access, action="card_template.created", target=template,
                     changes={"created": _snapshot(template),
                              "items": [[p.pk, uses] for p, uses in lines]})
    return template


def template_update(*, access: Access, template: CardTemplate, items: Sequence[ItemIn] | None = None,
                    **fields: Any) -> CardTemplate:
    """Change a template; cards already sold keep what they were sold with."""
    access.require("cards.manage")
    fields.pop("kind", None)
    cleaned = _clean_template(access, fields)
    lines = _clean_items(access, template.kind, items) if items is not None else None
    with transaction.atomic():
        template = CardTemplate.objects.select_for_update().get(pk=template.pk, merchant=access.merchant)
        before = _snapshot(template)
        for field, value in cleaned.items():
            setattr(template, field, value)
        _check_validity(template)
        changes: dict[str, Any] = diff(before, _snapshot(template))
        old_items = sorted(template.items.values_list("product_id", "uses"))
        if lines is not None and sorted((p.pk, uses) for p, uses in lines) != old_items:
            template.items.all().delete()
            CardTemplateItem.objects.bulk_create([CardTemplateItem(template=template, product=p, uses=uses)
                                                  for p, uses in lines])
            changes["items"] = [[p.pk, uses] for p, uses in lines]
        template.save()
        card_product_save(merchant=access.merchant, product=template.product, name=template.name,
                          price_fen=template.price_fen, is_active=template.status == CardTemplate.Status.ACTIVE)
        if changes:
            audit_record(merchant=access.merchant, actor=access, action="card_template.updated", target=template,
                         changes=changes)
    return template


def template_set_status(*, access: Access, template: CardTemplate, status: str) -> CardTemplate:
    """On sale, paused or ended (an ended template is never sold again; cards sold stay usable)."""
    access.require("cards.manage")
    if status not in CardTemplate.Status.values:
        raise InvalidInput("invalid_status", _("Unknown status."), field="status")
    with transaction.atomic():
        template = CardTemplate.objects.select_for_update().get(pk=template.pk, merchant=access.merchant)
        if template.status == CardTemplate.Status.ENDED and status != template.status:
            raise Conflict("card_template_ended", _("An ended card cannot be sold again."), field="status")
        if status == template.status:
            return template
        old = template.status
        template.status = status
        template.save(update_fields=["status", "updated_at"])
        card_product_save(merchant=access.merchant, product=template.product, name=template.name,
                          price_fen=template.price_fen, is_active=status == CardTemplate.Status.ACTIVE)
        audit_record(merchant=access.merchant, actor=access, action="card_template.status", target=template,
                     changes={"status": [old, status]})
    return template
