"""Coupon pages: templates, their results and issue runs (with progress), gift packs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mendian.catalog.models import Product
from mendian.core.errors import DomainError, InvalidInput, NotFound
from mendian.core.phones import normalize_phone
from mendian.core.xlsx import xlsx_response
from mendian.members.models import Member
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.views.decorators import staff_page

from . import campaigns, coupons, issuing, selectors
from .forms import GiftPackForm, IssueForm, PromotionForm, TemplateForm
from .models import Coupon, CouponTemplate, GiftPack, IssueRun, Promotion, PromotionStore
from .results import coupon_results, promotion_results, results_workbook


def template_results(template: CouponTemplate) -> dict[str, int]:
    """Issued, used, still usable, expired and the discount given, counted from the coupons."""
    now = timezone.now()
    figures = Coupon.objects.filter(merchant_id=template.merchant_id, template=template).aggregate(
        issued=Count("id"), used=Count("id", filter=Q(status=Coupon.Status.USED)),
        usable=Count("id", filter=Q(status=Coupon.Status.UNUSED) & (Q(valid_until__isnull=True)
                                                                      | Q(valid_until__gte=now))),
        expired=Count("id", filter=Q(status=Coupon.Status.UNUSED, valid_until__lt=now)),
        discount=Sum("discount_fen", filter=Q(status=Coupon.Status.USED)),
    )
    figures["discount"] = figures["discount"] or 0
    figures["rate"] = round(100 * figures["used"] / figures["issued"]) if figures["issued"] else 0
    return figures


@staff_page("coupons.view")
def template_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *CouponTemplate.Status.values):
        status = None
    templates = selectors.template_list(access=request.access, status=status).order_by("-id")[:200]
    # From a segment's page: choose the coupon to issue to it.
    segment = request.GET.get("segment", "")
    return render(request, "promotions/templates.html", {"templates": templates, "status": status,
                                                         "statuses": CouponTemplate.Status.choices,
                                                         "segment": int(segment) if segment.isdigit() else None})


def _template_form(request: HttpRequest, template: CouponTemplate | None) -> TemplateForm:
    initial = TemplateForm.initial_of(template) if template is not None else None
    return TemplateForm(request.POST or None, access=request.access, initial=initial)


@staff_page("coupons.manage")
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    form = _template_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            template = coupons.template_create(access=request.access, **form.service_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Coupon created. Issue it to members below."))
            return redirect("promotions:template", template_id=template.pk)
    return render(request, "promotions/template_form.html", {"form": form, "template": None})


@staff_page("coupons.manage")
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get(access=request.access, template_id=template_id)
    form = _template_form(request, template)
    if request.method == "POST" and form.is_valid():
        try:
            coupons.template_update(access=request.access, template=template, **form.service_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Coupon saved."))
            return redirect("promotions:template", template_id=template.pk)
    return render(request, "promotions/template_form.html", {"form": form, "template": template})


@staff_page("coupons.view")
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get(access=request.access, template_id=template_id)
    segment = request.GET.get("segment", "")
    initial = {"segment_id": int(segment)} if segment.isdigit() else None
    return render(request, "promotions/template_detail.html", _detail_context(request, template, IssueForm(
        access=request.access, initial=initial)))


def _detail_context(request: HttpRequest, template: CouponTemplate, issue_form: IssueForm) -> dict[str, Any]:
    runs = [(run, issuing.issue_run_progress(run)) for run in
            IssueRun.objects.filter(merchant=request.access.merchant, template=template).order_by("-id")[:20]]
    return {"template": template, "results": template_results(template), "issue_form": issue_form, "runs": runs,
            "can_issue": request.access.can("coupons.issue"), "can_manage": request.access.can("coupons.manage")}


def _phone_members(request: HttpRequest, text: str) -> list[int]:
    phones = []
    for line in text.split():
        try:
            phones.append(normalize_phone(line))
        except DomainError as error:
            raise InvalidInput("invalid_phone", _("Not a phone number: %(phone)s") % {"phone": line},
                               field="phones") from error
    found = dict(Member.objects.filter(merchant=request.access.merchant, phone__in=phones, erased_at__isnull=True)
                 .values_list("phone", "pk"))
    missing = [p for p in phones if p not in found]
    if missing:
        raise InvalidInput("member_not_found", _("No member has these numbers: %(phones)s")
                           % {"phones": ", ".join(missing)}, field="phones")
    return [found[p] for p in phones]


@staff_page("coupons.issue")
@require_POST
def template_issue(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get(access=request.access, template_id=template_id)
    form = IssueForm(request.POST, access=request.access)
    if form.is_valid():
        try:
            phones = form.cleaned_data["phones"].strip()
            if phones:
                run = issuing.issue_run_create(access=request.access, target=IssueRun.Target.MEMBERS,
                                               template=template, member_ids=_phone_members(request, phones))
            elif form.cleaned_data["segment_id"]:
                run = issuing.issue_run_create(access=request.access, target=IssueRun.Target.SEGMENT,
                                               template=template, segment_id=form.cleaned_data["segment_id"])
            else:
                run = issuing.issue_run_create(access=request.access, target=IssueRun.Target.FILTER,
                                               template=template, filters=form.filters())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Issuing to %(n)s members in the background.") % {"n": run.members_total})
            return redirect("promotions:template", template_id=template.pk)
    return render(request, "promotions/template_detail.html", _detail_context(request, template, form), status=422)


@staff_page("coupons.manage")
@require_POST
def template_status(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get(access=request.access, template_id=template_id)
    try:
        coupons.template_set_status(access=request.access, template=template, status=request.POST.get("status", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("promotions:template", template_id=template.pk)


@staff_page("coupons.view")
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.issue_run_get(access=request.access, run_id=run_id)
    return render(request, "promotions/template_detail.html#run-row",
                  {"run": run, "progress": issuing.issue_run_progress(run)})


@staff_page("coupons.view")
@require_http_methods(["GET", "POST"])
def gift_packs(request: HttpRequest) -> HttpResponse:
    return _pack_page(request, None)


@staff_page("coupons.manage")
@require_http_methods(["GET", "POST"])
def gift_pack_edit(request: HttpRequest, pack_id: int) -> HttpResponse:
    return _pack_page(request, selectors.gift_pack_get(access=request.access, pack_id=pack_id))


def _pack_page(request: HttpRequest, pack: GiftPack | None) -> HttpResponse:
    access = request.access
    templates = list(selectors.template_list(access=access, status=CouponTemplate.Status.ACTIVE).order_by("name"))
    initial = {"name": pack.name, "is_active": pack.is_active} if pack else None
    form = GiftPackForm(request.POST or None, initial=initial)
    quantities = {i.template_id: i.quantity for i in pack.items.all()} if pack else {}
    if request.method == "POST":
        access.require("coupons.manage")
        items = []
        for template in templates:
            raw = request.POST.get(f"qty_{template.pk}", "").strip()
            quantities[template.pk] = raw
            if raw and raw != "0":
                items.append((template.pk, int(raw) if raw.isdigit() else -1))
        if form.is_valid():
            try:
                issuing.gift_pack_save(access=access, pack=pack, name=form.cleaned_data["name"], items=items,
                                       is_active=form.cleaned_data["is_active"])
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("Gift pack saved."))
                return redirect("promotions:packs")
    packs = GiftPack.objects.filter(merchant=access.merchant).prefetch_related("items__template").order_by("-id")
    return render(request, "promotions/packs.html", {
        "form": form, "pack": pack, "packs": packs, "can_manage": access.can("coupons.manage"),
        "rows": [(t, quantities.get(t.pk, "")) for t in templates]})


# --- promotions -------------------------------------------------------------------------------
def _promotion(request: HttpRequest, promotion_id: int) -> Promotion:
    promotion = Promotion.objects.filter(merchant=request.access.merchant, pk=promotion_id).select_related(
        "spend", "gift_pack").first()
    if promotion is None:
        raise NotFound("promotion_not_found", _("Promotion not found."))
    return promotion


@staff_page("coupons.view")
def promotion_list(request: HttpRequest) -> HttpResponse:
    promotions = Promotion.objects.filter(merchant=request.access.merchant).select_related("spend").order_by("-id")
    pushed = []
    if request.access.can("promotions.store"):
        stores = [s for s in tenancy_selectors.store_choices(access=request.access)]
        answers = {(row.promotion_id, row.store_id): row for row in
                   PromotionStore.objects.filter(merchant=request.access.merchant)}
        for promotion in promotions:
            if promotion.status != Promotion.Status.ENDED:
                for store in stores:
                    if not promotion.store_ids or store.pk in promotion.store_ids:
                        answer = answers.get((promotion.pk, store.pk))
                        enabled = answer.enabled if answer else not promotion.stores_opt_in
                        pushed.append((promotion, store, enabled, answer.percent if answer else None))
    return render(request, "promotions/promotions.html", {"promotions": promotions[:200], "pushed": pushed})


def _promotion_form(request: HttpRequest, promotion: Promotion | None) -> PromotionForm:
    initial = PromotionForm.initial_of(promotion) if promotion else None
    return PromotionForm(request.POST or None, access=request.access, initial=initial)


@staff_page("promotions.manage")
@require_http_methods(["GET", "POST"])
def promotion_new(request: HttpRequest) -> HttpResponse:
    return _promotion_edit(request, None)


@staff_page("promotions.manage")
@require_http_methods(["GET", "POST"])
def promotion_edit(request: HttpRequest, promotion_id: int) -> HttpResponse:
    return _promotion_edit(request, _promotion(request, promotion_id))


def _promotion_edit(request: HttpRequest, promotion: Promotion | None) -> HttpResponse:
    form = _promotion_form(request, promotion)
    if request.method == "POST" and form.is_valid():
        try:
            saved = campaigns.promotion_save(access=request.access, promotion=promotion, **form.service_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Promotion saved."))
            return redirect("promotions:promotion", promotion_id=saved.pk)
    return render(request, "promotions/promotion_form.html", {"form": form, "promotion": promotion})


def _results_period(request: HttpRequest) -> tuple[Any, Any, str | None]:
    from datetime import date, timedelta

    from mendian.core.time import local_today

    today = local_today(request.access.merchant.timezone)
    try:
        date_from = date.fromisoformat(request.GET.get("from") or (today - timedelta(days=29)).isoformat())
        date_to = date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        return today - timedelta(days=29), today, _("Dates are written 2026-11-28.")
    return date_from, date_to, None


def result_labels() -> dict[str, str]:
    """The results' figures in words, in the page's language."""
    return {"issued": _("Issued"), "claimed": _("Claimed"), "used": _("Used"), "expired": _("Expired"),
            "redemption_pct": _("Redemption rate (percent)"), "discount_fen": _("Discount given"),
            "gmv_fen": _("Sales of these orders"), "new_members": _("New members"),
            "repeat_members": _("Members who came back"), "orders": _("Orders"), "units": _("Units"),
            "recharges": _("Recharges"), "paid_fen": _("Recharged"), "members_reached": _("Members reached"),
            "coupons_issued": _("Coupons issued"), "day": _("Day"), "store": _("Store")}


def _results_page(request: HttpRequest, subject: Any, compute: Any, template_name: str,
                  extra: dict[str, Any]) -> HttpResponse:
    date_from, date_to, error = _results_period(request)
    try:
        figures = compute(date_from, date_to)
    except DomainError as exc:
        error, figures = str(exc.message), {"totals": {}, "by_day": [], "by_store": []}
    if request.GET.get("format") == "xlsx" and not error:
        return xlsx_response(results_workbook(str(subject), figures, result_labels()),
                             f"results-{date_from}-{date_to}.xlsx")
    chart = {"days": [row["day"] for row in figures["by_day"]],
             "discount": [row.get("discount_fen", 0) / 100 for row in figures["by_day"]],
             "count": [row.get("used", row.get("orders", row.get("recharges", 0))) for row in figures["by_day"]]}
    labels = result_labels()
    chart["labels"] = {"discount": labels["discount_fen"], "count": labels["used"] if "used" in
                       (figures["by_day"] or [{}])[0] else labels["orders"]}
    return render(request, template_name, {**extra, "figures": figures, "chart": chart, "date_from": date_from,
                                            "date_to": date_to, "period_error": error, "labels": labels})


@staff_page("coupons.view")
def promotion_detail(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    products = dict(Product.objects.filter(merchant=request.access.merchant, pk__in=promotion.product_ids)
                    .values_list("pk", "cost_fen"))
    names = dict(Product.objects.filter(merchant=request.access.merchant, pk__in=promotion.product_ids)
                 .values_list("pk", "name"))
    below_cost = [names[pid] for pid, cost in products.items() if cost is not None and promotion.price_fen is not None
                  and promotion.price_fen < cost]
    return _results_page(request, promotion, lambda f, t: promotion_results(
        access=request.access, promotion=promotion, date_from=f, date_to=t), "promotions/promotion_detail.html",
        {"promotion": promotion, "below_cost": below_cost, "product_names": [names.get(p, "") for p in
                                                                          promotion.product_ids],
         "can_manage": request.access.can("promotions.manage")})


@staff_page("promotions.manage")
@require_POST
def promotion_status(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    try:
        campaigns.promotion_set_status(access=request.access, promotion=promotion,
                                       status=request.POST.get("status", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("promotions:promotion", promotion_id=promotion.pk)


@staff_page("promotions.store")
@require_POST
def promotion_store(request: HttpRequest, promotion_id: int, store_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    store = tenancy_selectors.store_get(access=request.access, store_id=store_id)
    raw = request.POST.get("percent", "").strip()
    try:
        campaigns.promotion_store_set(access=request.access, promotion=promotion, store=store,
                                      enabled=request.POST.get("enabled") == "1",
                                      percent=int(raw) if raw.isdigit() else None)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Saved for %(store)s.") % {"store": store.name})
    return redirect("promotions:promotions")


@staff_page("coupons.view")
def template_results_page(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get(access=request.access, template_id=template_id)
    return _results_page(request, template, lambda f, t: coupon_results(
        access=request.access, template=template, date_from=f, date_to=t), "promotions/template_results.html",
        {"template": template})
