"""Member pages: list with search and filters, register, profile, edit, tags, records, erase."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.core.forms import StyledForm, date_input
from mendian.core.idempotency import claim_form_key
from mendian.core.pagination import paginate
from mendian.core.phones import mask_phone
from mendian.core.qr import qr_svg
from mendian.core.time import local_today
from mendian.core.xlsx import xlsx_response
from mendian.loyalty import selectors as loyalty_selectors
from mendian.loyalty.models import Level
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.views.decorators import staff_page
from mendian.wallet import selectors as wallet_selectors
from mendian.wallet.models import RECHARGE_METHODS, PaymentMethod, Recharge

from . import selectors, services
from .forms import LevelChangeForm, MemberForm, PointsAdjustForm, RechargeForm, RecordForm, new_form_key
from .models import CustomField, Member, RecordType, Tag

PAGE_SIZE = 50


class MemberFilterForm(StyledForm):
    q = forms.CharField(required=False, max_length=100, widget=forms.TextInput(
        attrs={"placeholder": gettext_lazy("Phone, last 4 digits, card number, member code or name"),
               "autofocus": True, "type": "search"}))
    level = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    tag = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    store = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(required=False)
    joined_from = forms.DateField(required=False, widget=date_input())
    joined_to = forms.DateField(required=False, widget=date_input())

    def __init__(self, *args: Any, levels: list[Any], tags: list[Any], stores: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", gettext_lazy("Any level")), *((lv.pk, lv.name) for lv in levels)]
        self.fields["tag"].choices = [("", gettext_lazy("Any tag")), *((t.pk, t.name) for t in tags)]
        self.fields["store"].choices = [("", gettext_lazy("Registered anywhere")), *((s.pk, s.name) for s in stores)]
        self.fields["channel"].choices = [("", gettext_lazy("Any channel")), *Member.Channel.choices]

    def member_filter(self) -> selectors.MemberFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.MemberFilter(
            q=data.get("q") or "", level_id=data.get("level"), tag_id=data.get("tag"), store_id=data.get("store"),
            channel=data.get("channel") or "", joined_from=data.get("joined_from"), joined_to=data.get("joined_to"),
        )


def _filter_form(request: HttpRequest, data: Any) -> MemberFilterForm:
    access = request.access
    return MemberFilterForm(data, levels=list(loyalty_selectors.level_list(access=access)),
                            tags=list(selectors.tag_list(access=access)),
                            stores=list(tenancy_selectors.store_choices(access=access)))


def filtered_members(request: HttpRequest, data: Any) -> tuple[MemberFilterForm, Any]:
    form = _filter_form(request, data)
    return form, selectors.member_list(access=request.access, filters=form.member_filter())


def phone_for(request: HttpRequest, phone: str) -> str:
    return phone if request.access.can("members.view_full_phone") else mask_phone(phone)


@staff_page("members.view")
def member_list(request: HttpRequest) -> HttpResponse:
    form, members = filtered_members(request, request.GET)
    error = None
    try:
        page = paginate(selectors.with_accounts(members), cursor=request.GET.get("cursor"), limit=PAGE_SIZE,
                        order=("-id",))
    except DomainError as exc:
        page, error = None, exc.message
    rows = [{"member": m, "phone": phone_for(request, m.phone)} for m in (page.items if page else [])]
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "rows": rows, "next_cursor": page.next_cursor if page else None,
               "query": query.urlencode(), "error": error, "tags": selectors.tag_list(access=request.access)}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "members/list.html#member-rows", context)
    if request.htmx:
        return render(request, "members/list.html#member-results", context)
    return render(request, "members/list.html", context)


def _custom_fields(request: HttpRequest) -> list[CustomField]:
    return list(CustomField.objects.filter(merchant=request.access.merchant, is_active=True)
                .order_by("sort_order", "id"))


@staff_page("members.manage")
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    access = request.access
    stores = [s for s in tenancy_selectors.store_choices(access=access) if s.status != "closed"]
    form = MemberForm(request.POST or None, stores=stores, custom_fields=_custom_fields(request),
                      initial={"phone": request.GET.get("phone", "")})
    if request.method == "POST" and form.is_valid():
        try:
            store = tenancy_selectors.store_get(access=access, store_id=form.cleaned_data["store"])
            profile = form.profile()
            member = services.register_member(merchant=access.merchant, store=store, actor=access,
                                              channel=Member.Channel.COUNTER, **profile)
        except DomainError as error:
            form.add_domain_error(error)
            if error.code == "member_exists" and error.detail.get("member_id"):
                url = reverse("members:detail", args=[error.detail["member_id"]])
                link = format_html('<a href="{}">{}</a>', url, _("open the member"))
                messages.info(request, format_html(_("This phone is already a member: {}."), link), extra_tags="safe")
        else:
            messages.success(request, _("Welcome, new member %(name)s!") % {"name": member.name or member.card_no})
            return redirect("members:detail", member_id=member.pk)
    return render(request, "members/form.html", {"form": form, "member": None})


@staff_page("members.manage")
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    access = request.access
    member = selectors.member_get(access=access, member_id=member_id)
    initial = {"phone": member.phone if access.can("members.view_full_phone") else "", "name": member.name,
               "gender": member.gender, "birthday": member.birthday, "birthday_is_lunar": member.birthday_is_lunar,
               "notes": member.notes}
    initial.update({f"cf_{k}": v for k, v in member.custom_fields.items()})
    form = MemberForm(request.POST or None, stores=None, custom_fields=_custom_fields(request), initial=initial)
    if not access.can("members.view_full_phone"):
        form.fields["phone"].required = False
        form.fields["phone"].help_text = _("Leave empty to keep %(phone)s.") % {"phone": mask_phone(member.phone)}
    if request.method == "POST" and form.is_valid():
        profile = form.profile()
        if not profile["phone"]:
            profile.pop("phone")
        try:
            services.member_update(access=access, member=member, **profile)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("members:detail", member_id=member.pk)
    return render(request, "members/form.html", {"form": form, "member": member})


def _detail_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    access = request.access
    member = selectors.with_accounts(Member.objects.filter(pk=member.pk)).get()
    stores = [s for s in tenancy_selectors.store_choices(access=access) if s.status == "active"]
    plans = wallet_selectors.plans_for_store(access=access, store=stores[0]) if stores else []
    methods = [(m.value, m.label) for m in PaymentMethod if m in RECHARGE_METHODS]
    today = local_today(access.merchant.timezone)
    return {
        "member": member,
        "phone": phone_for(request, member.phone),
        "level": member.loyalty.level,
        "expiry": loyalty_selectors.upcoming_expiry(member=member, until=today + timedelta(days=90)),
        "points_entries": list(loyalty_selectors.points_entries(merchant_id=access.merchant.pk, member=member)
                               .select_related("store").order_by("-id")[:30]),
        "wallet_entries": list(wallet_selectors.wallet_entries(merchant_id=access.merchant.pk, member=member)
                               .select_related("store").order_by("-id")[:30]),
        "recharges": list(Recharge.objects.filter(merchant=access.merchant, member=member)
                          .select_related("store", "plan").order_by("-id")[:30]),
        "records": list(member.records.select_related("record_type", "store").order_by("-date", "-id")[:50]),
        "custom_fields": [(f.label, member.custom_fields.get(f.key)) for f in _custom_fields(request)],
        "all_tags": selectors.tag_list(access=access),
        "recharge_form": RechargeForm(stores=stores, plans=plans, methods=methods,
                                      initial={"once": new_form_key(), "payment_method": "cash"}),
        "adjust_form": PointsAdjustForm(initial={"once": new_form_key()}),
        "level_form": LevelChangeForm(levels=list(Level.objects.filter(merchant=access.merchant).order_by("rank"))),
        "record_form": RecordForm(record_types=list(RecordType.objects.filter(merchant=access.merchant,
                                                                              is_active=True)),
                                  initial={"date": today}),
        "card_qr": qr_svg(member.card_no, scale=5),
    }


@staff_page("members.view")
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member = selectors.member_get(access=request.access, member_id=member_id)
    return render(request, "members/detail.html", _detail_context(request, member))


def _back(member: Member) -> HttpResponse:
    return redirect("members:detail", member_id=member.pk)


def _invalid(request: HttpRequest, form: forms.Form, member: Member) -> HttpResponse:
    """A dialog form on the profile was wrong: say why at the top of the profile."""
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return _back(member)


def _refused(request: HttpRequest, error: DomainError) -> None:
    if error.status == 403:
        raise error
    messages.error(request, str(error.message))


@staff_page("wallet.recharge")
@require_POST
def member_recharge(request: HttpRequest, member_id: int) -> HttpResponse:
    from mendian.wallet.services import wallet_recharge

    access = request.access
    member = selectors.member_get(access=access, member_id=member_id)
    stores = [s for s in tenancy_selectors.store_choices(access=access) if s.status == "active"]
    all_plans = list(wallet_selectors.plan_list(access=access, active=True))
    methods = [(m.value, m.label) for m in PaymentMethod if m in RECHARGE_METHODS]
    form = RechargeForm(request.POST, stores=stores, plans=all_plans, methods=methods)
    if not form.is_valid():
        return _invalid(request, form, member)
    data = form.cleaned_data
    try:
        store = tenancy_selectors.store_get(access=access, store_id=data["store"])
        plan = wallet_selectors.plan_get(access=access, plan_id=data["plan"]) if data["plan"] else None
        with transaction.atomic():
            if not claim_form_key(merchant_id=access.merchant.pk, key=data["once"], path=request.path):
                messages.info(request, _("This recharge was already recorded."))
                return _back(member)
            recharge, entry = wallet_recharge(access=access, member=member, store=store,
                                              pay_fen=plan.pay_fen if plan else data["pay_fen"],
                                              payment_method=data["payment_method"], plan=plan)
    except DomainError as error:
        _refused(request, error)
    else:
        from mendian.core.money import format_fen

        messages.success(request, _("Recharged %(pay)s (+%(bonus)s bonus). Balance: %(balance)s.") % {
            "pay": format_fen(recharge.pay_fen), "bonus": format_fen(recharge.bonus_fen),
            "balance": format_fen(entry.principal_after_fen + entry.bonus_after_fen)})
    return _back(member)


@staff_page("loyalty.adjust_points")
@require_POST
def member_adjust_points(request: HttpRequest, member_id: int) -> HttpResponse:
    from mendian.loyalty.services import points_adjust

    access = request.access
    member = selectors.member_get(access=access, member_id=member_id)
    form = PointsAdjustForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, member)
    try:
        with transaction.atomic():
            if not claim_form_key(merchant_id=access.merchant.pk, key=form.cleaned_data["once"], path=request.path):
                return _back(member)
            entry = points_adjust(access=access, member=member, delta=form.cleaned_data["delta"],
                                  note=form.cleaned_data["note"])
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Points adjusted; balance %(points)s.") % {"points": entry.balance_after})
    return _back(member)


@staff_page("loyalty.change_level")
@require_POST
def member_change_level(request: HttpRequest, member_id: int) -> HttpResponse:
    from mendian.loyalty.services import level_set

    access = request.access
    member = selectors.member_get(access=access, member_id=member_id)
    form = LevelChangeForm(request.POST, levels=list(Level.objects.filter(merchant=access.merchant)))
    if not form.is_valid():
        return _invalid(request, form, member)
    try:
        level = loyalty_selectors.level_get(access=access, level_id=form.cleaned_data["level"])
        level_set(access=access, member=member, level=level, reason=form.cleaned_data["reason"])
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Level changed to %(level)s.") % {"level": level.name})
    return _back(member)


@staff_page("members.manage")
@require_POST
def member_add_record(request: HttpRequest, member_id: int) -> HttpResponse:
    access = request.access
    member = selectors.member_get(access=access, member_id=member_id)
    types = list(RecordType.objects.filter(merchant=access.merchant, is_active=True))
    form = RecordForm(request.POST, record_types=types)
    if not form.is_valid():
        return _invalid(request, form, member)
    record_type = next(t for t in types if t.pk == form.cleaned_data["record_type"])
    try:
        services.record_add(access=access, member=member, record_type=record_type, day=form.cleaned_data["date"],
                            values=form.parsed_values(), notes=form.cleaned_data["notes"])
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Record added."))
    return _back(member)


@staff_page("members.manage")
@require_POST
def member_tag(request: HttpRequest, member_id: int) -> HttpResponse:
    access = request.access
    member = selectors.member_get(access=access, member_id=member_id)
    try:
        if request.POST.get("remove"):
            tag = selectors.tag_get(access=access, tag_id=int(request.POST["remove"]))
            services.tag_remove(access=access, member=member, tag=tag)
        else:
            tag = _tag_from_post(request)
            services.tags_add(access=access, member_ids=[member.pk], tags=[tag])
    except (DomainError, ValueError) as error:
        messages.error(request, str(getattr(error, "message", _("Choose a tag."))))
    return _back(member)


def _tag_from_post(request: HttpRequest) -> Tag:
    """An existing tag by id, or a new one by name."""
    if request.POST.get("tag_id"):
        return selectors.tag_get(access=request.access, tag_id=int(request.POST["tag_id"]))
    name = (request.POST.get("new_tag") or "").strip()
    existing = Tag.objects.filter(merchant=request.access.merchant, name=name).first()
    return existing or services.tag_create(access=request.access, name=name)


@staff_page("members.manage")
@require_POST
def member_bulk_tag(request: HttpRequest) -> HttpResponse:
    """Tag the ticked members, or every member matching the filter (bulk tagging)."""
    access = request.access
    try:
        tag = _tag_from_post(request)
        if request.POST.get("scope") == "filter":
            _form, members = filtered_members(request, QueryDict(request.POST.get("query", "")))
            ids = list(members.values_list("id", flat=True)[:100_000])
        else:
            ids = [int(i) for i in request.POST.getlist("member_ids") if i.isdigit()]
        added = services.tags_add(access=access, member_ids=ids, tags=[tag])
    except (DomainError, ValueError) as error:
        messages.error(request, str(getattr(error, "message", _("Choose a tag."))))
    else:
        messages.success(request, _("Tag %(tag)s put on %(count)s members.") % {"tag": tag.name, "count": added})
    query = request.POST.get("query", "")
    return redirect(reverse("members:list") + (f"?{query}" if query else ""))


@staff_page("members.erase")
@require_POST
def member_erase(request: HttpRequest, member_id: int) -> HttpResponse:
    member = selectors.member_get(access=request.access, member_id=member_id)
    services.member_erase(access=request.access, member=member)
    messages.success(request, _("The member's personal data was erased."))
    return _back(member)


@staff_page("members.view")
def member_card(request: HttpRequest, member_id: int) -> HttpResponse:
    """The electronic member card with the static card number, printable."""
    member = selectors.member_get(access=request.access, member_id=member_id)
    return render(request, "members/card.html", {"member": member, "qr": qr_svg(member.card_no)})


@staff_page("members.export")
def member_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV or XLSX; phones masked unless the role may see them."""
    from django.http import StreamingHttpResponse
    from django.utils import timezone

    from mendian.tenancy.services.audit import audit_record

    from . import exporting

    access = request.access
    _form, members = filtered_members(request, request.GET)
    fields = _custom_fields(request)
    head = exporting.header(fields)
    body = exporting.rows(members, full_phone=access.can("members.view_full_phone"), custom_fields=fields)
    audit_record(merchant=access.merchant, actor=access, action="member.exported",
                 changes={"count": members.count(), "filter": request.GET.urlencode()[:500]})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(exporting.csv_stream(head, body), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="members-{stamp}.csv"'
        return response
    return xlsx_response(exporting.xlsx_bytes(head, body), f"members-{stamp}.xlsx")
