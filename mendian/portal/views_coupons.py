"""The member's coupons on their phone (/m/coupons/): their coupons, usable first, each with its redeem
code as text and as a QR code for the counter's scanner; and the claim centre (领券中心)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mendian.core.errors import DomainError, NotFound
from mendian.core.idempotency import claim_form_key
from mendian.core.qr import qr_svg
from mendian.promotions.coupons import coupon_claim
from mendian.promotions.member_coupons import member_coupon_rows
from mendian.promotions.models import CouponTemplate
from mendian.promotions.selectors import claim_centre

from .views import _portal_member


@require_GET
def coupons(request: HttpRequest) -> HttpResponse:
    member = _portal_member(request)
    rows = member_coupon_rows(merchant_id=member.merchant_id, member_id=member.pk)
    centre: list[dict[str, Any]] = [
        {**entry, "once": uuid.uuid4().hex}
        for entry in claim_centre(merchant_id=member.merchant_id, member_id=member.pk)
    ]
    return render(request, "portal/coupons.html", {
        "member": member, "usable": [(row, qr_svg(row.code, scale=4)) for row in rows.usable], "past": rows.past,
        "centre": centre,
    })


@require_POST
def claim(request: HttpRequest) -> HttpResponse:
    """Claim one coupon of the claim centre for the member of this session (never anyone else)."""
    member = _portal_member(request)
    raw = request.POST.get("template_id", "")
    template = CouponTemplate.objects.filter(merchant_id=member.merchant_id, pk=int(raw)).first() \
        if raw.isdigit() else None
    if template is None:
        raise Http404
    try:
        with transaction.atomic():
            # The button's key, claimed with the coupon: a double tap claims once (a refusal frees it).
            if not claim_form_key(merchant_id=member.merchant_id, key=request.POST.get("once", ""),
                                  path=request.path):
                messages.info(request, _("You already claimed this coupon."))
                return redirect("portal:coupons")
            coupon_claim(merchant=member.merchant, member=member, template=template)
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(name)s is yours: it is under My coupons.") % {"name": template.name})
    return redirect("portal:coupons")
