"""Ready-made rule tags a merchant switches on (they can be edited like any rule tag afterwards)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Category
from mendian.core.errors import Conflict, NotFound
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store

from .models import TagRule
from .segments import tag_rule_save


def _one(field: str, op: str, value: Any, days: int | None = None) -> dict[str, Any]:
    condition = {"field": field, "op": op, "value": value}
    if days:
        condition["days"] = days
    return condition


@dataclass(frozen=True)
class Preset:
    code: str
    name: str | Promise
    description: str | Promise
    # (tag name, definition) for each tag the preset makes (one per store or category for some)
    rules: Callable[[Access], list[tuple[str, dict[str, Any]]]]


def _single(name: str | Promise, *conditions: dict[str, Any]) -> Callable[[Access], list[tuple[str, dict[str, Any]]]]:
    return lambda access: [(str(name), {"match": "all", "conditions": list(conditions)})]


PRESETS: tuple[Preset, ...] = (
    Preset("new_customer", _("New customer"), _("Joined in the last 30 days."),
           _single(_("New customer"), _one("days_since_joined", "lte", 29))),
    Preset("high_value", _("High value"), _("Spent ¥2,000 or more in the last 365 days."),
           _single(_("High value"), _one("spend_fen_in_days", "gte", 200000, 365))),
    Preset("asleep_90", _("Asleep 90 days"), _("Bought before, but not in the last 90 days."),
           _single(_("Asleep 90 days"), _one("days_since_last_order", "gte", 90))),
    Preset("promo_only", _("Buys only on promotion"),
           _("Two or more orders in 180 days, none of it at the ordinary price (always a promotion or a coupon)."),
           _single(_("Buys only on promotion"), _one("orders_in_days", "gte", 2, 180),
                   _one("full_price_spend_fen_in_days", "eq", 0, 180))),
    Preset("frequent", _("Frequent visitor"), _("Four or more orders in the last 30 days."),
           _single(_("Frequent visitor"), _one("orders_in_days", "gte", 4, 30))),
    Preset("preferred_category", _("Preferred category"),
           _("One tag per category: the category the member spent most on in the last 180 days."),
           lambda access: [(gettext("Prefers %(name)s") % {"name": c.name},
                            {"match": "all", "conditions": [_one("top_category_id", "eq", c.pk, 180)]})
                           for c in Category.objects.filter(merchant=access.merchant).order_by("name")]),
    Preset("registered_store", _("Registered store"), _("One tag per store: the members who joined there."),
           lambda access: [(gettext("Joined at %(name)s") % {"name": s.name},
                            {"match": "all", "conditions": [_one("registered_store_id", "eq", s.pk)]})
                           for s in Store.objects.filter(merchant=access.merchant).order_by("code")]),
)
PRESET_BY_CODE = {p.code: p for p in PRESETS}


def preset_enable(*, access: Access, code: str) -> list[TagRule]:
    """Make the preset's rule tags (those not made yet) and compute their members."""
    preset = PRESET_BY_CODE.get(code)
    if preset is None:
        raise NotFound("preset_not_found", _("No such ready-made rule."))
    made = []
    existing = set(TagRule.objects.filter(merchant=access.merchant, preset=code).values_list("tag__name", flat=True))
    for name, definition in preset.rules(access):
        if name in existing:
            continue
        made.append(tag_rule_save(access=access, name=name, definition=definition, preset=code))
    if not made:
        raise Conflict("preset_on", _("This ready-made rule is already on."))
    return made
