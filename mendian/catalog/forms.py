from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mendian.core.forms import StyledForm, YuanField

from .models import Product


class ProductForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Product.Kind.choices)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    price_fen = YuanField(label=_("Price (yuan)"))
    member_price_fen = YuanField(label=_("Member price (yuan)"), required=False,
                                 help_text=_("Leave empty when members pay the normal price."))
    cost_fen = YuanField(label=_("Cost (yuan)"), required=False)
    barcode = forms.CharField(label=_("Barcode"), max_length=64, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=16, required=False)
    duration_min = forms.IntegerField(label=_("Duration (minutes)"), required=False, min_value=1, max_value=1440,
                                      help_text=_("For services that are booked."))
    is_active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def __init__(self, *args: Any, categories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("None")), *((c.pk, c.name) for c in categories)]

    def product_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["category_id"] = data.pop("category")
        return data
