"""Settings page of levels and the points rule."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.tenancy.views.decorators import staff_page

from . import selectors, services
from .forms import LevelForm, PointsRuleForm
from .models import Level, LoyaltyAccount


def _rule_initial(request: HttpRequest) -> dict:
    rule = services.points_rule_get(merchant=request.access.merchant)
    return {name: getattr(rule, name) for name in services.RULE_FIELDS}


@staff_page("loyalty.settings")
@require_http_methods(["GET", "POST"])
def loyalty_settings(request: HttpRequest) -> HttpResponse:
    access = request.access
    action = request.POST.get("action")
    rule_form = PointsRuleForm(request.POST if action == "rule" else None, initial=_rule_initial(request))
    level_form = LevelForm(request.POST if action == "level" else None, initial={"upgrade_by": "spend"})
    if request.method == "POST":
        try:
            if action == "rule" and rule_form.is_valid():
                services.points_rule_set(access=access, **rule_form.cleaned_data)
                messages.success(request, _("Points rule saved."))
                return redirect("loyalty:settings")
            if action == "level" and level_form.is_valid():
                services.level_create(access=access, **level_form.level_fields())
                messages.success(request, _("Level added."))
                return redirect("loyalty:settings")
        except DomainError as error:
            (rule_form if action == "rule" else level_form).add_domain_error(error)
    counts = dict(LoyaltyAccount.objects.filter(merchant=access.merchant).values_list("level")
                  .annotate(n=Count("id")).values_list("level", "n"))
    levels = [{"level": lv, "members": counts.get(lv.pk, 0)} for lv in selectors.level_list(access=access)]
    return render(request, "loyalty/settings.html", {"levels": levels, "rule_form": rule_form,
                                                     "level_form": level_form})


@staff_page("loyalty.settings")
@require_http_methods(["GET", "POST"])
def level_edit(request: HttpRequest, level_id: int) -> HttpResponse:
    access = request.access
    level = selectors.level_get(access=access, level_id=level_id)
    initial = {"name": level.name, "rank": level.rank, "upgrade_by": level.upgrade_by,
               "threshold_yuan": level.threshold if level.upgrade_by != Level.UpgradeBy.POINTS else None,
               "threshold_points": level.threshold if level.upgrade_by == Level.UpgradeBy.POINTS else None,
               "discount_pct": level.discount_pct, "points_multiplier_pct": level.points_multiplier_pct,
               "benefits": level.benefits}
    form = LevelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.level_update(access=access, level=level, **form.level_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Level saved."))
            return redirect("loyalty:settings")
    return render(request, "loyalty/level_form.html", {"form": form, "level": level})


@staff_page("loyalty.settings")
@require_POST
def level_delete(request: HttpRequest, level_id: int) -> HttpResponse:
    level = selectors.level_get(access=request.access, level_id=level_id)
    try:
        services.level_delete(access=request.access, level=level)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Level deleted."))
    return redirect("loyalty:settings")
