"""Pages: the dashboard (HQ and stores), segments and their builder, rule tags, RFM, finance."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mendian.core.db import analytic_queries
from mendian.core.errors import DomainError
from mendian.core.forms import StyledForm
from mendian.core.time import local_today
from mendian.core.xlsx import xlsx_response, yuan_cell
from mendian.loyalty.models import Level, LoyaltyAccount
from mendian.members.models import CustomField, Member, Tag
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record
from mendian.tenancy.views.decorators import staff_page
from mendian.wallet.models import WalletAccount

from . import reports, rfm, segments
from .conditions import FIELDS
from .models import RfmSettings, Segment, TagRule
from .presets import PRESETS, preset_enable
from .tasks import rfm_recompute_task

KPIS = (
    ("sales_fen", gettext_lazy("Sales"), "money"),
    ("orders", gettext_lazy("Orders"), "count"),
    ("average_ticket_fen", gettext_lazy("Average ticket"), "money"),
    ("member_orders", gettext_lazy("Member orders"), "count"),
    ("walk_in_orders", gettext_lazy("Walk-in orders"), "count"),
    ("member_share_pct", gettext_lazy("Member share of sales"), "pct"),
    ("new_members", gettext_lazy("New members"), "count"),
    ("active_members", gettext_lazy("Active members"), "count"),
    ("repeat_rate_pct", gettext_lazy("Repeat rate"), "pct"),
    ("refunds_fen", gettext_lazy("Refunds"), "money"),
    ("recharge_principal_fen", gettext_lazy("Recharged (principal)"), "money"),
    ("recharge_bonus_fen", gettext_lazy("Recharge bonus given"), "money"),
    ("stored_value_spent_fen", gettext_lazy("Stored value spent"), "money"),
    ("points_earned", gettext_lazy("Points issued"), "count"),
    ("points_redeemed", gettext_lazy("Points redeemed"), "count"),
    ("coupon_discount_fen", gettext_lazy("Coupon discount"), "money"),
)
BREAKDOWNS = (("store", gettext_lazy("By store")), ("city", gettext_lazy("By city")),
              ("category", gettext_lazy("By category")), ("level", gettext_lazy("By level")))


class PeriodForm(StyledForm):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    grain = forms.ChoiceField(label=gettext_lazy("Totals per"), required=False, choices=(
        ("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month"))))
    store = forms.TypedChoiceField(label=gettext_lazy("Store"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All my stores"))] + [(s.pk, s.name) for s in stores]


def _period_from(request: HttpRequest, default_days: int = 30) -> tuple[PeriodForm, reports.Period, str, int | None,
                                                                         str | None]:
    access = request.access
    stores = list(access.scope(Store.objects.filter(merchant=access.merchant), store_field="pk").order_by("code"))
    today = local_today(access.merchant.timezone)
    form = PeriodForm(request.GET or None, stores=stores)
    date_from, date_to, grain, store_id, error = today - timedelta(days=default_days - 1), today, "day", None, None
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
        grain = form.cleaned_data["grain"] or grain
        store_id = form.cleaned_data["store"]
    elif form.is_bound:
        error = _("Check the period and the store.")
    try:
        period = reports.period_of(access, date_from, date_to)
    except DomainError as exc:
        error = str(exc.message)
        period = reports.period_of(access, today - timedelta(days=default_days - 1), today)
    if not form.is_bound:
        form = PeriodForm(initial={"date_from": period.date_from, "date_to": period.date_to, "grain": grain},
                          stores=stores)
    return form, period, grain, store_id, error


def _change(now: Any, before: Any) -> float | None:
    if now is None or before in (None, 0):
        return None
    return round((now - before) * 100 / abs(before), 1)


@staff_page("reports.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    """HQ overview, or the store dashboard for store-bound staff (their stores only)."""
    with analytic_queries():
        return _dashboard(request)


def _dashboard(request: HttpRequest) -> HttpResponse:
    access = request.access
    form, period, grain, store_id, error = _period_from(request)
    stores = reports.stores_in_view(access, store_id)
    now, before = reports.headlines(access=access, period=period, stores=stores)
    kpis = [{"key": key, "label": label, "kind": kind, "value": now[key], "before": before[key],
             "change": _change(now[key], before[key])} for key, label, kind in KPIS]
    line = reports.series(access=access, period=period, stores=stores, grain=grain)
    line_before = reports.series(access=access, period=period.previous(), stores=stores, grain=grain)
    tables = [(key, label, reports.breakdown(access=access, period=period, stores=stores, by=key))
              for key, label in BREAKDOWNS]
    if request.GET.get("format") == "xlsx":
        return _dashboard_xlsx(period, kpis, line, tables)
    chart = {
        "buckets": line["buckets"], "sales": [v / 100 for v in line["sales_fen"]],
        "sales_before": [v / 100 for v in line_before["sales_fen"]][:len(line["buckets"])],
        "orders": line["orders"], "member_sales": [v / 100 for v in line["member_sales_fen"]],
        "recharged": [v / 100 for v in line["recharge_principal_fen"]],
        "spent": [v / 100 for v in line["stored_value_spent_fen"]],
        "labels": {"sales": _("Sales"), "sales_before": _("Sales, previous period"), "orders": _("Orders"),
                   "member_sales": _("Member sales"), "recharged": _("Recharged"), "spent": _("Stored value spent")},
        "breakdowns": {key: {"names": [r["name"] for r in rows], "sales": [r["sales_fen"] / 100 for r in rows]}
                       for key, _label, rows in tables},
    }
    return render(request, "analytics/dashboard.html", {
        "form": form, "period": period, "previous": period.previous(), "kpis": kpis, "tables": tables,
        "chart": chart, "error": error, "store_bound": access.store_ids is not None,
        "rows": list(zip(line["buckets"], line["sales_fen"], line["orders"], line["member_sales_fen"],
                         line["refunds_fen"], line["new_members"], line["recharge_principal_fen"],
                         line["stored_value_spent_fen"], strict=True)),
    })


def _dashboard_xlsx(period: reports.Period, kpis: list[dict[str, Any]], line: dict[str, Any],
                    tables: list[tuple[str, Any, list[dict[str, Any]]]]) -> HttpResponse:
    from openpyxl import Workbook

    def cell(value: Any, key: str) -> Any:
        return yuan_cell(value) if key.endswith("_fen") else value

    headers = {"name": _("Name"), "sales_fen": _("Sales (yuan)"), "orders": _("Orders"),
               "member_sales_fen": _("Member sales (yuan)"), "qty": _("Quantity")}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Summary"))
    sheet.append([_("Figure"), f"{period.date_from} – {period.date_to}", _("Previous period"), _("Change (%)")])
    for k in kpis:
        sheet.append([str(k["label"]), cell(k["value"], k["key"]), cell(k["before"], k["key"]), k["change"]])
    sheet = workbook.create_sheet(_("By period"))
    sheet.append([_("Period"), _("Sales (yuan)"), _("Orders"), _("Member sales (yuan)"), _("Refunds (yuan)"),
                  _("New members"), _("Recharged (yuan)"), _("Stored value spent (yuan)")])
    for i, bucket in enumerate(line["buckets"]):
        sheet.append([bucket, yuan_cell(line["sales_fen"][i]), line["orders"][i],
                      yuan_cell(line["member_sales_fen"][i]), yuan_cell(line["refunds_fen"][i]), line["new_members"][i],
                      yuan_cell(line["recharge_principal_fen"][i]), yuan_cell(line["stored_value_spent_fen"][i])])
    for _key, label, rows in tables:
        sheet = workbook.create_sheet(str(label))
        if rows:
            sheet.append([str(headers[name]) for name in rows[0]])
            for row in rows:
                sheet.append([cell(v, k) for k, v in row.items()])
    return xlsx_response(workbook, f"dashboard-{period.date_from}-{period.date_to}.xlsx")


# --- segments -------------------------------------------------------------------------------------

def _builder_config(request: HttpRequest) -> dict[str, Any]:
    """What the segment builder offers: the fields with their operators, and the choices of id fields."""
    access = request.access
    merchant = access.merchant
    from mendian.catalog.models import Category, Product

    stores = access.scope(Store.objects.filter(merchant=merchant), store_field="pk").order_by("code")
    options = {
        "level": [[lv.pk, lv.name] for lv in Level.objects.filter(merchant=merchant).order_by("rank")],
        "tag": [[t.pk, t.name] for t in Tag.objects.filter(merchant=merchant).order_by("name")],
        "store": [[s.pk, s.name] for s in stores],
        "product": [[p.pk, p.name] for p in Product.objects.filter(merchant=merchant).order_by("name")[:500]],
        "category": [[c.pk, c.name] for c in Category.objects.filter(merchant=merchant).order_by("name")],
    }
    choices = {"gender": [[v, str(label)] for v, label in Member.Gender.choices],
               "source": [[v, str(label)] for v, label in Member.Channel.choices]}
    fields = [{"field": f.name, "label": str(f.label), "kind": f.kind, "ops": list(f.ops), "days": f.behaviour,
               "group": str(f.group), "options": options.get(f.model) or choices.get(f.name) or []}
              for f in FIELDS.values()]
    for custom in CustomField.objects.filter(merchant=merchant, is_active=True).order_by("sort_order", "key"):
        from .conditions import CUSTOM_OPS, CUSTOM_PREFIX

        fields.append({"field": CUSTOM_PREFIX + custom.key, "label": custom.label,
                       "kind": "number" if custom.kind == "number" else ("date" if custom.kind == "date" else "text"),
                       "ops": list(CUSTOM_OPS[custom.kind]), "days": False, "group": _("Custom fields"),
                       "options": [[c, c] for c in custom.choices] if custom.kind == "choice" else []})
    return {
        "fields": fields, "preview": "/api/v1/segments/preview",
        "ops": {"eq": _("is"), "ne": _("is not"), "gt": _("more than"), "gte": _("at least"), "lt": _("less than"),
                "lte": _("at most"), "in": _("is one of")},
        "t": {"all": _("all of"), "any": _("any of"), "members": _("members"), "days": _("in the last … days"),
              "yes": _("Yes"), "no": _("No")},
    }


@staff_page("segments.view")
def segment_list(request: HttpRequest) -> HttpResponse:
    access = request.access
    rows = Segment.objects.filter(merchant=access.merchant).order_by("name")
    rules = TagRule.objects.filter(merchant=access.merchant).select_related("tag").order_by("tag__name")
    return render(request, "analytics/segments.html", {
        "segments": rows, "rules": rules, "presets": PRESETS, "can_manage": access.can("segments.manage"),
        "hq": access.store_ids is None, "enabled": set(rules.values_list("preset", flat=True)),
    })


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    access = request.access
    error = None
    if request.method == "POST":
        try:
            definition = json.loads(request.POST.get("definition") or "{}")
        except ValueError:
            definition = None
        try:
            saved = segments.segment_save(access=access, segment=segment, name=request.POST.get("name"),
                                          definition=definition, description=request.POST.get("description", ""))
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Segment saved: %(count)s members.") % {"count": saved.member_count})
            return redirect("analytics:segment", saved.pk)
    initial = segment.definition if segment else {"match": "all", "conditions": []}
    if request.method == "POST" and error:
        try:
            initial = json.loads(request.POST.get("definition") or "{}")
        except ValueError:
            pass
    return render(request, "analytics/segment_form.html", {
        "segment": segment, "error": error, "builder": _builder_config(request), "initial": initial,
        "name": request.POST.get("name", segment.name if segment else ""),
        "description": request.POST.get("description", segment.description if segment else ""),
    }, status=422 if error else 200)


@staff_page("segments.manage")
def segment_new(request: HttpRequest) -> HttpResponse:
    return _segment_form(request, None)


@staff_page("segments.manage")
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    return _segment_form(request, segments.segment_get(access=request.access, segment_id=segment_id))


@staff_page("segments.view")
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    access = request.access
    segment = segments.segment_get(access=access, segment_id=segment_id)
    members = segments.segment_members(access=access, segment=segment)
    if request.GET.get("format") == "xlsx":
        return _members_xlsx(request, members, f"segment-{segment.pk}.xlsx", segment.name)
    segments.segment_recount(access=access, segment=segment)
    from mendian.core.phones import mask_phone

    full_phone = access.can("members.view_full_phone")
    page = list(members.select_related("loyalty__level", "registered_store").order_by("-total_spent_fen", "id")[:100])
    return render(request, "analytics/segment_detail.html", {
        "segment": segment, "members": [(m, m.phone if full_phone else mask_phone(m.phone)) for m in page],
        "conditions": _describe(segment.definition), "can_manage": access.can("segments.manage"),
        "can_export": access.can("members.export"), "can_issue": access.can("coupons.issue"),
    })


def _describe(definition: dict[str, Any]) -> list[str]:
    """The conditions in words, one line each (nested groups in brackets)."""
    ops = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "∈"}

    def one(item: dict[str, Any]) -> str:
        if "conditions" in item:
            joiner = _(" and ") if item.get("match", "all") == "all" else _(" or ")
            return "(" + joiner.join(one(c) for c in item["conditions"]) + ")"
        f = FIELDS.get(item["field"])
        label = str(f.label) if f else item["field"]
        text = f"{label} {ops.get(item['op'], item['op'])} {item['value']}"
        if item.get("days"):
            text += " " + _("(last %(days)s days)") % {"days": item["days"]}
        return text

    return [one(c) for c in definition.get("conditions", [])]


@staff_page("segments.manage")
@require_POST
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    access = request.access
    segments.segment_delete(access=access, segment=segments.segment_get(access=access, segment_id=segment_id))
    messages.success(request, _("Segment deleted."))
    return redirect("analytics:segments")


def _members_xlsx(request: HttpRequest, members: Any, filename: str, label: str) -> HttpResponse:
    from mendian.members import exporting

    access = request.access
    access.require("members.export")
    fields = list(CustomField.objects.filter(merchant=access.merchant, is_active=True).order_by("sort_order", "key"))
    body = exporting.rows(members, full_phone=access.can("members.view_full_phone"), custom_fields=fields)
    audit_record(merchant=access.merchant, actor=access, action="segment.exported", target_label=label,
                 changes={"count": members.count()})
    return xlsx_response(exporting.xlsx_bytes(exporting.header(fields), body), filename)


# --- rule tags ------------------------------------------------------------------------------------

@staff_page("segments.manage")
@require_POST
def preset_on(request: HttpRequest) -> HttpResponse:
    try:
        made = preset_enable(access=request.access, code=request.POST.get("preset", ""))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Switched on: %(names)s.") % {"names": "、".join(r.tag.name for r in made)})
    return redirect(reverse("analytics:segments") + "#tags")


@staff_page("segments.manage")
@require_POST
def tag_rule_run(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = segments.tag_rule_get(access=request.access, rule_id=rule_id)
    rule = segments.tag_rule_run(rule=rule)
    messages.success(request, _("%(name)s now has %(count)s members.") % {"name": rule.tag.name,
                                                                          "count": rule.member_count})
    return redirect(reverse("analytics:segments") + "#tags")


@staff_page("segments.manage")
def tag_rule_new(request: HttpRequest) -> HttpResponse:
    error = None
    initial: Any = {"match": "all", "conditions": []}
    if request.method == "POST":
        try:
            initial = json.loads(request.POST.get("definition") or "{}")
        except ValueError:
            initial = None
        try:
            rule = segments.tag_rule_save(access=request.access, name=request.POST.get("name"), definition=initial)
        except DomainError as exc:
            error = str(exc.message)
            initial = initial if isinstance(initial, dict) else {"match": "all", "conditions": []}
        else:
            messages.success(request, _("%(name)s now has %(count)s members.") % {"name": rule.tag.name,
                                                                                  "count": rule.member_count})
            return redirect(reverse("analytics:segments") + "#tags")
    return render(request, "analytics/tag_rule_form.html", {
        "error": error, "builder": _builder_config(request), "initial": initial,
        "name": request.POST.get("name", "")}, status=422 if error else 200)


# --- RFM ------------------------------------------------------------------------------------------

class RfmForm(StyledForm):
    method = forms.ChoiceField(label=gettext_lazy("Scoring"), choices=RfmSettings.Method.choices)
    period_days = forms.IntegerField(label=gettext_lazy("Period (days)"), min_value=30, max_value=3650)
    r_days = forms.CharField(label=gettext_lazy("R: days since the last order, for scores 5 / 4 / 3 / 2"),
                             required=False, help_text=gettext_lazy("Four ascending numbers, e.g. 30,60,120,240."))
    f_orders = forms.CharField(label=gettext_lazy("F: orders, for scores 2 / 3 / 4 / 5"), required=False,
                               help_text=gettext_lazy("Four ascending numbers, e.g. 2,3,5,8."))
    m_yuan = forms.CharField(label=gettext_lazy("M: spend in yuan, for scores 2 / 3 / 4 / 5"), required=False,
                             help_text=gettext_lazy("Four ascending numbers, e.g. 200,500,1000,3000."))


def _numbers(text: str) -> list[int]:
    try:
        return [int(part) for part in text.replace("，", ",").split(",") if part.strip()]
    except ValueError:
        return []


@staff_page("reports.rfm")
def rfm_page(request: HttpRequest) -> HttpResponse:
    access = request.access
    settings = rfm.rfm_settings(access.merchant)
    form = RfmForm(request.POST or None, initial={
        "method": settings.method, "period_days": settings.period_days,
        "r_days": ",".join(map(str, settings.r_days)), "f_orders": ",".join(map(str, settings.f_orders)),
        "m_yuan": ",".join(str(v // 100) for v in settings.m_fen)})
    hq = access.store_ids is None
    if request.method == "POST" and hq and form.is_valid():
        data = form.cleaned_data
        try:
            rfm.rfm_settings_save(access=access, method=data["method"], period_days=data["period_days"],
                                  r_days=_numbers(data["r_days"]), f_orders=_numbers(data["f_orders"]),
                                  m_fen=[v * 100 for v in _numbers(data["m_yuan"])])
        except DomainError as exc:
            form.add_error(exc.detail.get("field", "r_days").replace("m_fen", "m_yuan"), str(exc.message))
        else:
            rfm_recompute_task.enqueue(access.merchant.pk)
            messages.success(request, _("Saved. The members are being scored again."))
            return redirect("analytics:rfm")
    report = rfm.rfm_report(access=access)
    chart = {"names": [g["name"] for g in report.groups], "counts": [g["count"] for g in report.groups],
             "spend": [g["spend_fen"] / 100 for g in report.groups],
             "labels": {"count": _("Members"), "spend": _("Spend (yuan)")}}
    return render(request, "analytics/rfm.html", {"form": form, "report": report, "chart": chart, "hq": hq,
                                                  "running": request.GET.get("running") == "1"})


@staff_page("reports.rfm")
@require_POST
def rfm_run(request: HttpRequest) -> HttpResponse:
    access = request.access
    try:
        rfm.rfm_run(access=access)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Scored again: %(count)s members.") % {
            "count": rfm.rfm_settings(access.merchant).scored_members})
    return redirect("analytics:rfm")


@staff_page("reports.rfm")
def rfm_members_page(request: HttpRequest) -> HttpResponse:
    access = request.access

    def number(name: str) -> int | None:
        raw = request.GET.get(name, "")
        return int(raw) if raw.isdigit() else None

    group = request.GET.get("group") or None
    try:
        members = rfm.rfm_members(access=access, group=group, r=number("r"), f=number("f"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("analytics:rfm")
    if request.GET.get("format") == "xlsx":
        return _members_xlsx(request, members, "rfm-members.xlsx", f"RFM {group or ''}")
    from mendian.core.phones import mask_phone

    full_phone = access.can("members.view_full_phone")
    page = list(members.select_related("loyalty__level", "registered_store").order_by("-total_spent_fen", "id")[:200])
    title = str(rfm.GROUP_BY_CODE[group].name) if group else f"R{number('r') or '·'} F{number('f') or '·'}"
    return render(request, "analytics/rfm_members.html", {
        "title": title, "count": members.count(), "members": [(m, m.phone if full_phone else mask_phone(m.phone))
                                                              for m in page],
        "query": request.GET.urlencode(), "can_export": access.can("members.export"),
    })


# --- finance --------------------------------------------------------------------------------------

@staff_page("reports.finance")
def finance(request: HttpRequest) -> HttpResponse:
    """对账: takings by payment method and store per day, recharges apart, and what is owed to members."""
    access = request.access
    form, period, _grain, store_id, error = _period_from(request, default_days=7)
    stores = reports.stores_in_view(access, store_id)
    rows = reports.takings(access=access, period=period, stores=stores)
    methods = sorted({m for row in rows for m in row["sales"]} | {m for row in rows for m in row["recharges"]})
    labels = dict(reports.method_labels())
    wallets = WalletAccount.objects.filter(merchant=access.merchant)
    points = LoyaltyAccount.objects.filter(merchant=access.merchant)
    if access.store_ids is not None:
        wallets = wallets.filter(member__registered_store_id__in=access.store_ids)
        points = points.filter(member__registered_store_id__in=access.store_ids)
    liability = wallets.aggregate(principal=Sum("principal_fen"), bonus=Sum("bonus_fen"))
    totals = {m: sum(r["sales"].get(m, 0) for r in rows) for m in methods}
    recharge_totals = {m: sum(r["recharges"].get(m, 0) for r in rows) for m in methods}
    chart = {"days": sorted({str(r["day"]) for r in rows}), "methods": [str(labels.get(m, m)) for m in methods]}
    by_day: dict[str, dict[str, int]] = {}
    for r in rows:
        day = by_day.setdefault(str(r["day"]), {})
        for m in methods:
            day[m] = day.get(m, 0) + r["sales"].get(m, 0) + r["recharges"].get(m, 0)
    chart["series"] = [[by_day.get(d, {}).get(m, 0) / 100 for d in chart["days"]] for m in methods]
    if request.GET.get("format") == "xlsx":
        return _finance_xlsx(period, rows, methods, labels)
    cards = reports.card_consumption(access=access, period=period, stores=stores)
    return render(request, "analytics/finance.html", {
        "cards": cards, "cards_total": sum(c["value_fen"] for c in cards),
        "form": form, "period": period, "error": error, "rows": rows,
        "methods": [(m, labels.get(m, m)) for m in methods],
        "totals": totals, "recharge_totals": recharge_totals, "chart": chart,
        "principal": liability["principal"] or 0, "bonus": liability["bonus"] or 0,
        "points": points.aggregate(total=Sum("points"))["total"] or 0,
    })


def _finance_xlsx(period: reports.Period, rows: list[dict[str, Any]], methods: list[str],
                  labels: dict[str, Any]) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Takings"))
    sheet.append([_("Day"), _("Store"), _("Kind")] + [str(labels.get(m, m)) for m in methods])
    for r in rows:
        sheet.append([r["day"].isoformat(), r["store"], _("Sales, net of refunds")]
                     + [yuan_cell(r["sales"].get(m, 0)) for m in methods])
        sheet.append([r["day"].isoformat(), r["store"], _("Recharges")]
                     + [yuan_cell(r["recharges"].get(m, 0)) for m in methods])
    return xlsx_response(workbook, f"takings-{period.date_from}-{period.date_to}.xlsx")
