"""Forms of the coupon pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Category, Product, ProductGroup
from mendian.core.audiences import member_source
from mendian.core.forms import StyledForm, YuanField
from mendian.loyalty.models import Level
from mendian.members.models import Member, Tag
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access

from .models import CouponTemplate


def _multiple(label: Any, help_text: Any = "") -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(label=label, coerce=int, required=False, help_text=help_text,
                                          widget=forms.SelectMultiple(attrs={"size": 5}))


class TemplateForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("e.g. 满100减20, 新品半价券"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=CouponTemplate.Kind.choices,
                             widget=forms.Select(attrs={"x-model": "kind"}))
    amount_fen = YuanField(label=_("Amount off (yuan)"), required=False)
    min_spend_fen = YuanField(label=_("Minimum spend (yuan)"), required=False,
                              help_text=_("On the products the coupon applies to; empty: no minimum."))
    percent = forms.IntegerField(label=_("Percent paid"), min_value=1, max_value=99, required=False,
                                 help_text=_("80 means 8折: the member pays 80 in 100."))
    max_discount_fen = YuanField(label=_("At most (yuan)"), required=False)
    item_mode = forms.ChoiceField(label=_("The item is"), choices=[("", "—"), *CouponTemplate.ItemMode.choices],
                                  required=False)
    item_price_fen = YuanField(label=_("Item price (yuan)"), required=False)
    include_product_ids = _multiple(_("Only these products"), _("Nothing chosen here and below: every product."))
    include_category_ids = _multiple(_("Only these categories"))
    include_group_ids = _multiple(_("Only these product groups"))
    exclude_product_ids = _multiple(_("Except these products"))
    exclude_category_ids = _multiple(_("Except these categories"))
    exclude_group_ids = _multiple(_("Except these product groups"), _("反选: e.g. every product except a group."))
    store_ids = _multiple(_("Only in these stores"), _("None chosen: every store."))
    validity = forms.ChoiceField(label=_("Valid"), choices=[("days", _("For a number of days after issue")),
                                                           ("dates", _("Between two dates"))],
                                 widget=forms.RadioSelect(attrs={"x-model": "validity"}), initial="days")
    valid_days = forms.IntegerField(label=_("Days"), min_value=1, max_value=3650, required=False, initial=30)
    valid_from = forms.DateTimeField(label=_("From"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    valid_until = forms.DateTimeField(label=_("Until"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    total_quantity = forms.IntegerField(label=_("Total quantity"), min_value=1, required=False,
                                        help_text=_("Empty: unlimited."))
    per_member_limit = forms.IntegerField(label=_("Per member"), min_value=1, required=False,
                                          help_text=_("Empty: unlimited."))
    stackable = forms.BooleanField(label=_("Combines with other coupons"), required=False)
    stack_group = forms.CharField(label=_("Stacking group"), max_length=30, required=False,
                                  help_text=_("Combinable coupons combine within their group (e.g. 节日券)."))
    at_counter = forms.BooleanField(label=_("Usable at the counter"), required=False, initial=True)
    online = forms.BooleanField(label=_("Usable online"), required=False, initial=True)
    claimable = forms.BooleanField(label=_("In the claim centre (members claim it themselves)"), required=False)
    cost_bearer = forms.ChoiceField(label=_("Cost borne by"), choices=CouponTemplate.CostBearer.choices)

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        merchant = access.merchant
        products = [(p.pk, p.name) for p in Product.objects.filter(merchant=merchant, is_active=True).order_by("name")]
        categories = [(c.pk, c.name) for c in Category.objects.filter(merchant=merchant).order_by("sort_order", "name")]
        groups = [(g.pk, g.name) for g in ProductGroup.objects.filter(merchant=merchant).order_by("name")]
        for prefix in ("include", "exclude"):
            self.fields[f"{prefix}_product_ids"].choices = products
            self.fields[f"{prefix}_category_ids"].choices = categories
            self.fields[f"{prefix}_group_ids"].choices = groups
        self.fields["store_ids"].choices = [(s.pk, s.name) for s in tenancy_selectors.store_choices(access=access)]

    def service_fields(self) -> dict[str, Any]:
        """The cleaned form as the service's fields."""
        data = dict(self.cleaned_data)
        by_days = data.pop("validity") == "days"
        if by_days:
            data.update(valid_from=None, valid_until=None)
        else:
            data["valid_days"] = None
        data["min_spend_fen"] = data.get("min_spend_fen") or 0
        data["item_mode"] = data.get("item_mode") or ""
        return data

    @staticmethod
    def initial_of(template: CouponTemplate) -> dict[str, Any]:
        from .coupons import TEMPLATE_FIELDS

        initial = {name: getattr(template, name) for name in TEMPLATE_FIELDS}
        initial["validity"] = "days" if template.valid_days else "dates"
        return initial


class IssueForm(StyledForm):
    """To whom: a filter of the member list (empty: every member), or a list of phone numbers."""

    level_id = forms.TypedChoiceField(label=_("Level"), coerce=int, required=False, empty_value=None)
    tag_id = forms.TypedChoiceField(label=_("Tag"), coerce=int, required=False, empty_value=None)
    store_id = forms.TypedChoiceField(label=_("Registered at"), coerce=int, required=False, empty_value=None)
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", "—"), *Member.Gender.choices])
    birthday_month = forms.TypedChoiceField(label=_("Birthday month"), coerce=int, required=False, empty_value=None,
                                            choices=[("", "—"), *((m, str(m)) for m in range(1, 13))])
    segment_id = forms.TypedChoiceField(label=_("Or a segment"), coerce=int, required=False, empty_value=None,
                                        help_text=_("When chosen, the filter above is not used."))
    phones = forms.CharField(label=_("Or these phone numbers"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3, "placeholder": "13800000000"}),
                             help_text=_("One per line; when given, the filter above is not used."))

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        merchant = access.merchant
        self.fields["level_id"].choices = [("", "—"), *((lv.pk, lv.name) for lv in
                                                        Level.objects.filter(merchant=merchant).order_by("rank"))]
        self.fields["tag_id"].choices = [("", "—"), *((t.pk, t.name) for t in
                                                      Tag.objects.filter(merchant=merchant).order_by("name"))]
        self.fields["store_id"].choices = [("", "—"), *((s.pk, s.name) for s in
                                                        tenancy_selectors.store_choices(access=access))]
        segments = member_source("segment")
        self.fields["segment_id"].choices = [("", "—"), *(segments.choices(access) if segments else [])]

    def filters(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items()
                if name not in ("phones", "segment_id") and value not in (None, "")}


class GiftPackForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("e.g. 新人礼包"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PromotionForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("e.g. 周三会员日, 新品限时8折"))
    kind = forms.ChoiceField(label=_("Kind"), widget=forms.Select(attrs={"x-model": "kind"}))
    starts_at = forms.DateTimeField(label=_("Starts"), required=False,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends"), required=False,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    product_ids = _multiple(_("Products"))
    price_fen = YuanField(label=_("Promotion price (yuan)"), required=False)
    percent = forms.IntegerField(label=_("Or percent of the price"), min_value=1, max_value=99, required=False,
                                 help_text=_("80 means 8折."))
    per_member_qty = forms.IntegerField(label=_("Units per member"), min_value=1, required=False,
                                        help_text=_("Empty: no limit."))
    repeat = forms.ChoiceField(label=_("Repeats"), required=False,
                               choices=[("", "—"), ("weekly", _("Every week")), ("monthly", _("Every month"))])
    days = forms.CharField(label=_("Days"), required=False,
                           help_text=_("Weekdays 1–7 (Monday is 1) or days of the month, separated by commas."))
    extra_discount_pct = forms.IntegerField(
        label=_("Extra discount (percent paid)"), min_value=1, max_value=99, required=False,
        help_text=_("95 means a further 5 percent off the level's price."))
    points_multiplier_pct = forms.IntegerField(label=_("Points multiplier (percent)"), min_value=101,
                                               max_value=1000, required=False, help_text=_("200 = double points."))
    bonus_pct = forms.IntegerField(label=_("Extra bonus (percent of the recharge)"), min_value=1, max_value=100,
                                   required=False)
    min_pay_fen = YuanField(label=_("From a recharge of (yuan)"), required=False)
    gift_pack_id = forms.TypedChoiceField(label=_("Gift pack"), coerce=int, required=False, empty_value=None)
    store_ids = _multiple(_("Only in these stores"), _("None chosen: every store."))
    stores_opt_in = forms.BooleanField(label=_("Stores must opt in"), required=False)
    store_min_percent = forms.IntegerField(label=_("Stores may go down to (percent)"), min_value=1, max_value=99,
                                           required=False)
    store_max_percent = forms.IntegerField(label=_("Stores may go up to (percent)"), min_value=1, max_value=99,
                                           required=False)
    budget_fen = YuanField(label=_("Budget (yuan)"), required=False,
                           help_text=_("The promotion stops when it has given this much. Empty: no budget."))

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        from .models import GiftPack, Promotion

        super().__init__(*args, **kwargs)
        merchant = access.merchant
        self.fields["kind"].choices = Promotion.Kind.choices
        products = Product.objects.filter(merchant=merchant, is_active=True).order_by("name")
        self.fields["product_ids"].choices = [(p.pk, p.name) for p in products]
        self.fields["gift_pack_id"].choices = [("", "—"), *((p.pk, p.name) for p in
                                                            GiftPack.objects.filter(merchant=merchant, is_active=True))]
        self.fields["store_ids"].choices = [(s.pk, s.name) for s in tenancy_selectors.store_choices(access=access)]

    def clean_days(self) -> list[int]:
        text = self.cleaned_data.get("days") or ""
        try:
            return [int(part) for part in text.replace("，", ",").split(",") if part.strip()]
        except ValueError as error:
            raise forms.ValidationError(_("Give the days as numbers separated by commas.")) from error

    def service_fields(self) -> dict[str, Any]:
        data = {name: value for name, value in self.cleaned_data.items()}
        data["repeat"] = data.get("repeat") or ""
        data["min_pay_fen"] = data.get("min_pay_fen") or 0
        return data

    @staticmethod
    def initial_of(promotion: Any) -> dict[str, Any]:
        from .campaigns import FIELDS

        initial = {name: getattr(promotion, name) for name in FIELDS}
        initial["days"] = ", ".join(str(d) for d in promotion.days)
        return initial
