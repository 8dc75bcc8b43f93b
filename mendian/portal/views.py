"""The member's mobile pages (H5): sign-up from a store's QR code (扫码入会) and the member card with
the rotating member code (会员码); the member's coupons are in ``views_coupons``. The portal issue adds
log-in and the rest of the member's pages."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.core.forms import StyledForm, date_input
from mendian.core.otp import otp_send, otp_verify
from mendian.core.phones import normalize_phone
from mendian.core.qr import qr_svg
from mendian.members.codes import member_code, seconds_left
from mendian.members.errors import MemberExists
from mendian.members.models import Member
from mendian.members.services import register_member
from mendian.promotions.selectors import member_coupons
from mendian.tenancy.forms import WEEKDAYS
from mendian.tenancy.models import Staff, Store

SESSION_KEY = "portal_member_id"
_CHANNELS = {"activity": Member.Channel.ACTIVITY}


class SignupForm(StyledForm):
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    code = forms.CharField(label=gettext_lazy("Code from the text message"), max_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=60, required=False)
    gender = forms.ChoiceField(label=gettext_lazy("Gender"), choices=Member.Gender.choices, required=False)
    birthday = forms.DateField(label=gettext_lazy("Date of birth (for birthday gifts)"), required=False,
                               widget=date_input())
    birthday_is_lunar = forms.BooleanField(label=gettext_lazy("I celebrate the lunar birthday (农历)"),
                                           required=False)


def _store(signup_code: str) -> Store:
    store = Store.objects.select_related("merchant").filter(signup_code=signup_code).first()
    if store is None or store.status == Store.Status.CLOSED:
        raise Http404
    return store


def _attribution(request: HttpRequest, store: Store) -> dict[str, Any]:
    """Who brought this sign-up: ``staff`` (id), ``leaflet`` (a distributor's code), ``ref`` (a member's
    card number), ``src`` (``activity``). Unknown values are ignored."""
    params = request.GET  # the sign-up form posts back to the link it came from, query and all
    staff_id, ref = params.get("staff", ""), params.get("ref", "")
    staff = Staff.objects.filter(merchant=store.merchant, pk=staff_id, is_active=True).first() \
        if staff_id.isdigit() else None
    referrer = Member.objects.filter(merchant=store.merchant, card_no=ref).first() if ref.isdigit() else None
    return {"staff": staff, "referrer": referrer, "leaflet_code": params.get("leaflet", "")[:40],
            "channel": _CHANNELS.get(params.get("src", ""), Member.Channel.SELF_SIGNUP)}


def _hours(store: Store) -> list[dict[str, str]]:
    return [{"day": WEEKDAYS[p["weekday"]], "start": p["start"], "end": p["end"]} for p in store.opening_hours]


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, signup_code: str) -> HttpResponse:
    """The landing page of a store's sign-up link: the store, then the sign-up form."""
    store = _store(signup_code)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        attribution = _attribution(request, store)
        try:
            phone = normalize_phone(data["phone"])
            otp_verify(purpose=f"signup:{store.merchant_id}", phone=phone, code=data["code"])
            member = register_member(merchant=store.merchant, store=store, phone=phone, name=data["name"],
                                     gender=data["gender"] or Member.Gender.UNKNOWN, birthday=data["birthday"],
                                     birthday_is_lunar=data["birthday_is_lunar"], **attribution)
        except MemberExists as exists:
            member = Member.objects.get(pk=exists.detail["member_id"])
            messages.info(request, _("You are already our member; here is your card."))
        except DomainError as error:
            form.add_domain_error(error)
            member = None
        if member is not None:
            request.session.cycle_key()
            request.session[SESSION_KEY] = member.pk
            return redirect("portal:card")
    query = request.GET.urlencode()
    return render(request, "portal/join.html", {"store": store, "merchant": store.merchant, "hours": _hours(store),
                                                "form": form, "query": query})


@require_POST
def join_send_code(request: HttpRequest, signup_code: str) -> HttpResponse:
    """Text a one-time code to the phone typed in the sign-up form (htmx)."""
    store = _store(signup_code)
    try:
        phone = normalize_phone(request.POST.get("phone", ""))
        otp_send(purpose=f"signup:{store.merchant_id}", phone=phone,
                 text=_("[%(merchant)s] Your sign-up code is {code}; valid for 10 minutes.")
                 % {"merchant": store.merchant.name})
    except DomainError as error:
        return render(request, "portal/_code_status.html", {"error": error.message}, status=200)
    return render(request, "portal/_code_status.html", {"sent": True})


def _portal_member(request: HttpRequest) -> Member:
    member_id = request.session.get(SESSION_KEY)
    member = Member.objects.select_related("merchant", "loyalty__level", "wallet").filter(
        pk=member_id, erased_at__isnull=True).first() if member_id else None
    if member is None:
        raise Http404
    return member


def card(request: HttpRequest) -> HttpResponse:
    """The member's card: the rotating code as a QR code (refreshed every minute), points and balance."""
    member = _portal_member(request)
    usable = member_coupons(merchant_id=member.merchant_id, member_id=member.pk, status="unused").count()
    return render(request, "portal/card.html", {"member": member, "coupon_count": usable, **_code_context(member)})


def card_code(request: HttpRequest) -> HttpResponse:
    member = _portal_member(request)
    return render(request, "portal/card.html#code", {"member": member, **_code_context(member)})


def _code_context(member: Member) -> dict[str, Any]:
    code = member_code(card_no=member.card_no, secret=member.code_secret)
    return {"code": code, "qr": qr_svg(code, scale=6), "seconds_left": seconds_left(time.time())}


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("/")
