"""Reads for the pages that show one member's coupons (the member's profile for staff, the member's own
phone pages): their coupons usable first with the status in words, and the templates a member can be
given now. Reads only; issuing and claiming stay in ``coupons.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from .models import Coupon, CouponTemplate
from .selectors import coupon_status, member_coupons

CODE_TAIL = 6
MAX_USABLE = 200
MAX_PAST = 30

STATUS_LABELS: dict[str, str | Promise] = {
    "unused": pgettext_lazy("coupon status", "Unused"),
    "used": pgettext_lazy("coupon status", "Used"),
    "expired": pgettext_lazy("coupon status", "Expired"),
    "void": pgettext_lazy("coupon status", "Void"),
}


@dataclass(frozen=True)
class CouponRow:
    """One coupon as a page lists it."""

    coupon: Coupon
    status: str  # unused, used, expired or void (``selectors.coupon_status``)

    @property
    def name(self) -> str:
        return self.coupon.template.name

    @property
    def gives(self) -> str:
        return self.coupon.template.value_text()

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def usable(self) -> bool:
        return self.status == "unused"

    @property
    def code(self) -> str:
        return self.coupon.code

    @property
    def code_tail(self) -> str:
        """The last digits only, for staff pages: enough to tell coupons apart, not enough to use one."""
        return "…" + self.coupon.code[-CODE_TAIL:]

    @property
    def code_groups(self) -> str:
        """The whole code in groups of six digits, easy to read out or type (the counter ignores spaces)."""
        code = self.coupon.code
        return " ".join(code[i:i + 6] for i in range(0, len(code), 6))


@dataclass(frozen=True)
class MemberCoupons:
    usable: list[CouponRow]
    past: list[CouponRow]  # used, expired or void, latest first (at most ``MAX_PAST``)

    @property
    def rows(self) -> list[CouponRow]:
        return self.usable + self.past


def member_coupon_rows(*, merchant_id: int, member_id: int, now: datetime | None = None) -> MemberCoupons:
    """The member's usable coupons, those expiring first first, then the latest used, expired or void ones."""
    now = now or timezone.now()
    usable = list(member_coupons(merchant_id=merchant_id, member_id=member_id, status="unused")
                  .order_by(F("valid_until").asc(nulls_last=True), "id")[:MAX_USABLE])
    past = list(Coupon.objects.filter(merchant_id=merchant_id, member_id=member_id)
                .exclude(Q(status=Coupon.Status.UNUSED) & (Q(valid_until__isnull=True) | Q(valid_until__gte=now)))
                .select_related("template").order_by("-issued_at", "-id")[:MAX_PAST])
    return MemberCoupons(usable=[CouponRow(c, coupon_status(c, now)) for c in usable],
                         past=[CouponRow(c, coupon_status(c, now)) for c in past])


def issuable_templates(*, merchant_id: int, now: datetime | None = None) -> list[CouponTemplate]:
    """Active templates still within their dates, by name: what staff can give a member now."""
    now = now or timezone.now()
    return list(CouponTemplate.objects.filter(merchant_id=merchant_id, status=CouponTemplate.Status.ACTIVE)
                .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now)).select_related("stock")
                .order_by("name", "id"))
