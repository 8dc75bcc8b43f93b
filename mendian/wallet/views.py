"""Stored-value pages: recharge plans, recharge refunds, liability and cross-store settlement."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError, NotFound
from mendian.core.forms import StyledForm, YuanField, date_input
from mendian.core.money import format_fen
from mendian.core.time import local_today
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.views.decorators import staff_page

from . import selectors, services
from .models import Recharge, RechargePlan


class PlanForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Plan name"), max_length=60, help_text=gettext_lazy("e.g. 充300送150"))
    pay_fen = YuanField(label=gettext_lazy("Member pays (yuan)"))
    bonus_fen = YuanField(label=gettext_lazy("Bonus (yuan)"), required=False)
    stores = forms.TypedMultipleChoiceField(label=gettext_lazy("Only in these stores"), coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=gettext_lazy("None ticked: every store (e.g. 新店专享)."))
    is_active = forms.BooleanField(label=gettext_lazy("On offer"), required=False, initial=True)
    sort_order = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, initial=0)


def _plan_form(request: HttpRequest, plan: RechargePlan | None) -> PlanForm:
    initial = {"is_active": True, "sort_order": 0}
    if plan is not None:
        initial = {"name": plan.name, "pay_fen": plan.pay_fen, "bonus_fen": plan.bonus_fen,
                   "stores": [s.pk for s in plan.stores.all()], "is_active": plan.is_active,
                   "sort_order": plan.sort_order}
    form = PlanForm(request.POST or None, initial=initial)
    form.fields["stores"].choices = [(s.pk, s.name) for s in tenancy_selectors.store_choices(access=request.access)]
    return form


def _save_plan(request: HttpRequest, form: PlanForm, plan: RechargePlan | None) -> RechargePlan:
    data = form.cleaned_data
    return services.plan_save(access=request.access, plan=plan, name=data["name"], pay_fen=data["pay_fen"],
                              bonus_fen=data["bonus_fen"] or 0, store_ids=data["stores"],
                              is_active=data["is_active"], sort_order=data["sort_order"] or 0)


@staff_page("wallet.settings")
@require_http_methods(["GET", "POST"])
def plan_list(request: HttpRequest) -> HttpResponse:
    form = _plan_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            _save_plan(request, form, None)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Plan added."))
            return redirect("wallet:plans")
    plans = selectors.plan_list(access=request.access)
    return render(request, "wallet/plans.html", {"plans": plans, "form": form})


@staff_page("wallet.settings")
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.plan_get(access=request.access, plan_id=plan_id)
    form = _plan_form(request, plan)
    if request.method == "POST" and form.is_valid():
        try:
            _save_plan(request, form, plan)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("wallet:plans")
    return render(request, "wallet/plan_form.html", {"form": form, "plan": plan})


@staff_page()
@require_POST
def refund_recharge(request: HttpRequest, recharge_id: int) -> HttpResponse:
    access = request.access
    recharge = Recharge.objects.filter(merchant=access.merchant, pk=recharge_id).select_related("member").first()
    if recharge is None or not access.sees_store(recharge.store_id):
        raise NotFound("recharge_not_found", _("Recharge not found."))
    try:
        entry = services.wallet_refund_recharge(access=access, recharge=recharge,
                                                reason=request.POST.get("reason", ""))
    except DomainError as error:
        if error.status == 403:
            raise
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Refund %(refund)s to the member (%(method)s); %(bonus)s bonus forfeited.") % {
            "refund": format_fen(-entry.principal_delta_fen), "method": recharge.get_payment_method_display(),
            "bonus": format_fen(-entry.bonus_delta_fen)})
    return redirect("members:detail", member_id=recharge.member_id)


class PeriodForm(StyledForm):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=date_input())
    date_to = forms.DateField(label=gettext_lazy("To"), widget=date_input())


@staff_page("wallet.reports")
def reports(request: HttpRequest) -> HttpResponse:
    """Liability by store of recharge (chart and table) and cross-store settlement for a period."""
    access = request.access
    today = local_today(access.merchant.timezone)
    form = PeriodForm(request.GET or None, initial={"date_from": today.replace(day=1), "date_to": today})
    period = (today.replace(day=1), today)
    if form.is_valid():
        period = (form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    liability = selectors.liability_by_store(access=access)
    error, settlement = None, []
    try:
        settlement = selectors.settlement(access=access, date_from=period[0], date_to=period[1])
    except DomainError as exc:
        error = exc.message
    chart = {
        "stores": [row.store.name for row in liability],
        "principal": [row.principal_fen / 100 for row in liability],
        "bonus": [row.bonus_fen / 100 for row in liability],
        "labels": {"principal": _("Principal"), "bonus": _("Bonus")},
    }
    context = {
        "form": form, "liability": liability, "settlement": settlement, "error": error, "period": period,
        "total_principal": sum(r.principal_fen for r in liability), "total_bonus": sum(r.bonus_fen for r in liability),
        "chart": chart, "last_month": today - timedelta(days=30),
    }
    return render(request, "wallet/reports.html", context)
