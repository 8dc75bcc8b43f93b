"""Reads of coupons: templates (cached for the counter), a member's coupons, issue runs."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import NotFound
from mendian.core.generation import cached
from mendian.tenancy.access import Access

from .models import Coupon, CouponTemplate, GiftPack, IssueRun


def templates_for_counter(*, merchant_id: int, generation: int | None) -> dict[int, CouponTemplate]:
    """The merchant's templates that are not ended, by id (from the settings cache when possible)."""

    def load() -> dict[int, CouponTemplate]:
        return {t.pk: t for t in CouponTemplate.objects.filter(merchant_id=merchant_id)
                .exclude(status=CouponTemplate.Status.ENDED)}

    return load() if generation is None else cached(merchant_id, generation, "coupon-templates", load)


def template_list(*, access: Access, status: str | None = None) -> QuerySet[CouponTemplate]:
    access.require("coupons.view")
    templates = CouponTemplate.objects.filter(merchant=access.merchant).select_related("stock")
    if status:
        templates = templates.filter(status=status)
    return templates


def template_get(*, access: Access, template_id: int) -> CouponTemplate:
    access.require("coupons.view")
    template = CouponTemplate.objects.filter(merchant=access.merchant, pk=template_id).select_related("stock").first()
    if template is None:
        raise NotFound("coupon_template_not_found", _("Coupon not found."))
    return template


def coupon_status(coupon: Coupon, now: datetime | None = None) -> str:
    """``unused``, ``used``, ``expired`` (an unused coupon past its date) or ``void``."""
    now = now or timezone.now()
    if coupon.status == Coupon.Status.UNUSED and coupon.valid_until is not None and coupon.valid_until < now:
        return "expired"
    return coupon.status


def member_coupons(*, merchant_id: int, member_id: int, status: str | None = None) -> QuerySet[Coupon]:
    coupons = Coupon.objects.filter(merchant_id=merchant_id, member_id=member_id).select_related("template")
    now = timezone.now()
    if status == "unused":
        coupons = coupons.filter(status=Coupon.Status.UNUSED).exclude(valid_until__lt=now)
    elif status == "expired":
        coupons = coupons.filter(status=Coupon.Status.UNUSED, valid_until__lt=now)
    elif status:
        coupons = coupons.filter(status=status)
    return coupons


def issue_run_get(*, access: Access, run_id: int) -> IssueRun:
    access.require("coupons.view")
    run = IssueRun.objects.filter(merchant=access.merchant, pk=run_id).first()
    if run is None:
        raise NotFound("issue_run_not_found", _("Issue run not found."))
    return run


def gift_pack_get(*, access: Access, pack_id: int) -> GiftPack:
    access.require("coupons.view")
    pack = GiftPack.objects.filter(merchant=access.merchant, pk=pack_id).prefetch_related("items__template").first()
    if pack is None:
        raise NotFound("gift_pack_not_found", _("Gift pack not found."))
    return pack


def claim_centre(*, merchant_id: int, member_id: int | None) -> list[dict[str, object]]:
    """Claimable templates still in stock (and, for a member, how many more they may claim)."""
    now = timezone.now()
    rows = []
    templates = CouponTemplate.objects.filter(merchant_id=merchant_id, claimable=True,
                                              status=CouponTemplate.Status.ACTIVE).select_related("stock")
    held: dict[int, int] = {}
    if member_id is not None:
        for template_id in Coupon.objects.filter(merchant_id=merchant_id, member_id=member_id).values_list(
                "template_id", flat=True):
            held[template_id] = held.get(template_id, 0) + 1
    for template in templates.order_by("id"):
        if template.valid_until is not None and template.valid_until <= now:
            continue
        left = None if template.total_quantity is None else template.total_quantity - template.stock.issued
        mine = held.get(template.pk, 0)
        rows.append({"template": template, "left": left, "held": mine,
                     "can_claim": (left is None or left > 0)
                     and (template.per_member_limit is None or mine < template.per_member_limit)})
    return rows
