"""The coupons section of a member's profile: the member's coupons and, for staff who may issue
coupons, giving the member one. The profile (``members/detail.html``) loads this section by its URL:
coupons sit above members in the layers, so the members app does not import them."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mendian.core.errors import Conflict, DomainError, InvalidInput
from mendian.core.idempotency import claim_form_key
from mendian.members import selectors as member_selectors
from mendian.members.models import Member
from mendian.tenancy.views.decorators import staff_page

from .coupons import coupons_issue_now
from .member_coupons import MAX_PAST, issuable_templates, member_coupon_rows
from .models import CouponTemplate

PAGE = "promotions/member_coupons.html"


def _context(request: HttpRequest, member: Member, notice: dict[str, str] | None = None) -> dict[str, Any]:
    access = request.access
    can_give = access.can("coupons.issue") and member.erased_at is None
    return {
        "member": member, "coupons": member_coupon_rows(merchant_id=access.merchant.pk, member_id=member.pk),
        "can_give": can_give, "notice": notice, "once": uuid.uuid4().hex, "past_limit": MAX_PAST,
        "templates": [(t, None if t.total_quantity is None else max(t.total_quantity - t.stock.issued, 0))
                      for t in issuable_templates(merchant_id=access.merchant.pk)] if can_give else [],
    }


@staff_page("members.view")
@require_GET
def member_coupons(request: HttpRequest, member_id: int) -> HttpResponse:
    """The section (htmx, into the profile), or a page of its own without JavaScript."""
    member = member_selectors.member_get(access=request.access, member_id=member_id)
    return render(request, f"{PAGE}#coupons" if request.htmx else PAGE, _context(request, member))


def _give(request: HttpRequest, member: Member) -> str:
    """Issue one coupon of the posted template to the member; the words to show (raises when refused)."""
    access = request.access
    raw = request.POST.get("template_id", "")
    template = CouponTemplate.objects.filter(merchant=access.merchant, pk=int(raw)).first() if raw.isdigit() else None
    if template is None:
        raise InvalidInput("template_required", _("Choose a coupon to give."), field="template_id")
    with transaction.atomic():
        # The form's key, claimed with the coupon: a double click gives one (a refusal frees it).
        if not claim_form_key(merchant_id=access.merchant.pk, key=request.POST.get("once", ""), path=request.path):
            return _("This coupon was already given.")
        result = coupons_issue_now(access=access, template=template, member_ids=[member.pk])
        if result.skipped["limit"]:
            raise Conflict("coupon_limit_reached",
                           _("Not given: the member already holds %(limit)s of %(name)s, as many as allowed.")
                           % {"limit": template.per_member_limit, "name": template.name})
        if result.skipped["stock"]:
            raise Conflict("coupon_out_of_stock", _("Not given: %(name)s is out of stock (all %(total)s issued).")
                           % {"name": template.name, "total": template.total_quantity})
    return _("Gave %(name)s to the member.") % {"name": template.name}


@staff_page("coupons.issue")
@require_POST
def member_coupon_give(request: HttpRequest, member_id: int) -> HttpResponse:
    member = member_selectors.member_get(access=request.access, member_id=member_id)
    try:
        done, level = _give(request, member), "success"
    except DomainError as error:
        if error.status == 403:
            raise
        done, level = str(error.message), "danger"
    if request.htmx:
        return render(request, f"{PAGE}#coupons", _context(request, member, {"level": level, "text": done}))
    (messages.success if level == "success" else messages.error)(request, done)
    return redirect(reverse("member_coupons:list", args=[member.pk]))
