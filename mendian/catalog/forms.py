from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mendian.core.forms import StyledForm, YuanField

from .models import Product


class ProductForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=[c for c in Product.Kind.choices if c[0] != Product.Kind.CARD])
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    price_fen = YuanField(label=_("Price (yuan)"))
    member_price_fen = YuanField(label=_("Member price (yuan)"), required=False,
                                 help_text=_("Leave empty when members pay the normal price."))
    cost_fen = YuanField(label=_("Cost (yuan)"), required=False)
    barcode = forms.CharField(label=_("Barcode"), max_length=64, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=16, required=False)
    duration_min = forms.IntegerField(label=_("Duration (minutes)"), required=False, min_value=1, max_value=1440,
                                      help_text=_("For services that are booked."))
    buffer_min = forms.IntegerField(label=_("Buffer after (minutes)"), required=False, min_value=0, max_value=1440,
                                    initial=0)
    groups = forms.TypedMultipleChoiceField(label=_("Groups"), coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple)
    level_discount = forms.BooleanField(label=_("Level discounts apply"), required=False, initial=True)
    all_stores = forms.BooleanField(label=_("Sold in every store"), required=False, initial=True,
                                    help_text=_("Otherwise only in the stores it is linked to."))
    track_stock = forms.BooleanField(label=_("Track stock"), required=False)
    low_stock_threshold = forms.IntegerField(label=_("Low-stock alert at"), required=False, min_value=0)
    is_active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def __init__(self, *args: Any, categories: list[Any], groups: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("None")), *((c.pk, c.name) for c in categories)]
        self.fields["groups"].choices = [(g.pk, g.name) for g in groups]
        if not groups:
            del self.fields["groups"]

    def product_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["category_id"] = data.pop("category")
        if "groups" in data:
            data["group_ids"] = data.pop("groups")
        data["buffer_min"] = data.get("buffer_min") or 0
        return data
