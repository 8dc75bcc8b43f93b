from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mendian.core.forms import StyledForm, YuanField

from .models import Level


class LevelForm(StyledForm):
    name = forms.CharField(label=_("Level name"), max_length=40)
    rank = forms.IntegerField(label=_("Rank"), min_value=0, max_value=1000,
                              help_text=_("Higher is better; the lowest rank is where new members start."))
    upgrade_by = forms.ChoiceField(label=_("Upgrade by"), choices=Level.UpgradeBy.choices)
    threshold_yuan = YuanField(label=_("Threshold (yuan, for spend or recharge)"), required=False)
    threshold_points = forms.IntegerField(label=_("Threshold (points)"), required=False, min_value=0)
    discount_pct = forms.IntegerField(label=_("Pays this percent of the price"), min_value=1, max_value=100,
                                      initial=100, help_text=_("95 = 9.5折; 100 = no discount"))
    points_multiplier_pct = forms.IntegerField(label=_("Points multiplier %"), min_value=0, max_value=10000,
                                               initial=100, help_text=_("150 = ×1.5 points"))
    benefits = forms.CharField(label=_("Benefits"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def level_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["upgrade_by"] == Level.UpgradeBy.POINTS:
            threshold = data.get("threshold_points") or 0
        else:
            threshold = data.get("threshold_yuan") or 0
        return {"name": data["name"], "rank": data["rank"], "upgrade_by": data["upgrade_by"], "threshold": threshold,
                "discount_pct": data["discount_pct"], "points_multiplier_pct": data["points_multiplier_pct"],
                "benefits": data["benefits"]}


class PointsRuleForm(StyledForm):
    points_per_yuan = forms.IntegerField(label=_("Points per yuan spent"), min_value=0, max_value=10000)
    redeem_points = forms.IntegerField(label=_("Points per redeem unit"), min_value=1)
    redeem_fen = YuanField(label=_("Worth (yuan) per redeem unit"))
    max_redeem_pct = forms.IntegerField(label=_("Points pay at most this percent of a bill"), min_value=0,
                                        max_value=100)
    expire_after_days = forms.IntegerField(label=_("Points expire after (days)"), min_value=1, required=False,
                                           help_text=_("Empty: never"))
    register_points = forms.IntegerField(label=_("Points on registration"), min_value=0)
    birthday_points = forms.IntegerField(label=_("Points on birthday"), min_value=0)

    def clean_redeem_fen(self) -> int:
        value = self.cleaned_data["redeem_fen"]
        if not value:
            raise forms.ValidationError(_("The amount must be above zero."))
        return value
