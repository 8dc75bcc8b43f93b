"""Forms of the card pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.core.forms import StyledForm, YuanField
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access

from .models import CardTemplate
from .services import ItemIn

ITEM_ROWS = 6


class TemplateForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("e.g. 洗剪吹10次卡, 健身月卡"))
    kind = forms.ChoiceField(label=_("Kind"), choices=CardTemplate.Kind.choices,
                             widget=forms.Select(attrs={"x-model": "kind"}))
    price_fen = YuanField(label=_("Price (yuan)"))
    validity = forms.ChoiceField(label=_("Valid"), choices=CardTemplate.Validity.choices,
                                 widget=forms.Select(attrs={"x-model": "validity"}),
                                 initial=CardTemplate.Validity.FROM_PURCHASE)
    valid_days = forms.IntegerField(label=_("Days"), min_value=1, max_value=3660, required=False, initial=365)
    valid_from = forms.DateTimeField(label=_("From"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    valid_until = forms.DateTimeField(label=_("Until"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    daily_limit = forms.IntegerField(label=_("Uses a day at most"), min_value=1, max_value=1000, required=False,
                                     help_text=_("Empty: no daily limit."))
    weekly_limit = forms.IntegerField(label=_("Uses a week at most"), min_value=1, max_value=1000, required=False,
                                      help_text=_("Empty: no weekly limit."))
    store_ids = forms.TypedMultipleChoiceField(label=_("Only in these stores"), coerce=int, required=False,
                                               help_text=_("Sold and valid there. None chosen: every store."),
                                               widget=forms.SelectMultiple(attrs={"size": 4}))
    transferable = forms.BooleanField(label=_("May be transferred to another member"), required=False)
    refund_rule = forms.ChoiceField(label=_("Refund"), choices=CardTemplate.RefundRule.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = [("", "—"), *((p.pk, p.name) for p in Product.objects.filter(
            merchant=access.merchant, kind=Product.Kind.SERVICE, is_active=True).order_by("name"))]
        for row in range(ITEM_ROWS):
            self.fields[f"item_{row}"] = forms.TypedChoiceField(
                label=_("Service"), choices=services, coerce=int, required=False, empty_value=None)
            self.fields[f"uses_{row}"] = forms.IntegerField(label=_("Uses"), min_value=1, max_value=10000,
                                                            required=False)
            self.fields[f"item_{row}"].widget.attrs["aria-label"] = _("Service %(n)s") % {"n": row + 1}
            self.fields[f"uses_{row}"].widget.attrs["aria-label"] = _("Uses of service %(n)s") % {"n": row + 1}
            self.fields[f"item_{row}"].widget.attrs["class"] = "form-select form-select-sm"
            self.fields[f"uses_{row}"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["store_ids"].choices = [(s.pk, s.name) for s in tenancy_selectors.store_choices(access=access)]

    @property
    def item_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"item_{row}"], self[f"uses_{row}"]) for row in range(ITEM_ROWS)]

    def items(self) -> list[ItemIn]:
        kind = self.cleaned_data["kind"]
        rows = [(self.cleaned_data.get(f"item_{r}"), self.cleaned_data.get(f"uses_{r}")) for r in range(ITEM_ROWS)]
        return [ItemIn(product, None if kind == CardTemplate.Kind.PERIOD else uses) for product, uses in rows
                if product is not None]

    def service_fields(self) -> dict[str, Any]:
        data = {name: value for name, value in self.cleaned_data.items()
                if not name.startswith(("item_", "uses_"))}
        data["store_ids"] = sorted(data.get("store_ids") or [])
        data["items"] = self.items()
        return data

    @staticmethod
    def initial_of(template: CardTemplate) -> dict[str, Any]:
        names = ("name", "kind", "price_fen", "validity", "valid_days", "valid_from", "valid_until", "daily_limit",
                 "weekly_limit", "store_ids", "transferable", "refund_rule", "description")
        initial = {name: getattr(template, name) for name in names}
        for row, item in enumerate(template.items.all()[:ITEM_ROWS]):
            initial[f"item_{row}"], initial[f"uses_{row}"] = item.product_id, item.uses
        return initial
