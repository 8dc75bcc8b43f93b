"""余额支付验证: where a store asks for it, paying with stored value or points needs the member present —
their rotating member code, or a code texted to their phone."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError, InvalidInput
from mendian.core.otp import otp_send, otp_verify
from mendian.members.models import Member
from mendian.members.selectors import member_by_code
from mendian.tenancy.models import Store


def _purpose(member: Member) -> str:
    return f"pay:{member.merchant_id}:{member.pk}"


def payment_code_send(*, member: Member) -> None:
    otp_send(purpose=_purpose(member), phone=member.phone,
             text=str(_("[%(merchant)s] Your payment code is {code}; valid for 10 minutes. Do not tell anyone "
                        "but the cashier.") % {"merchant": member.merchant.name}))


def verify_member_present(*, store: Store, member: Member | None, uses_member_money: bool,
                          verification: dict[str, Any] | None) -> None:
    """Refuse stored-value or points payments without the member's confirmation where the store asks for it."""
    if member is None or not uses_member_money or not store.verify_member_payments:
        return
    verification = verification or {}
    code, otp = (verification.get("member_code") or "").strip(), (verification.get("otp") or "").strip()
    if not code and not otp:
        raise InvalidInput("member_verification_required",
                           _("This store asks the member to confirm: scan their member code or send them a code."),
                           field="verification")
    if code:
        found = member_by_code(merchant=member.merchant, code=code)
        if found is None or found.pk != member.pk:
            raise InvalidInput("member_verification_failed",
                               _("The member code is wrong or has expired; ask the member to refresh it."),
                               field="verification")
        return
    try:
        otp_verify(purpose=_purpose(member), phone=member.phone, code=otp)
    except DomainError as exc:
        raise InvalidInput("member_verification_failed", _("The code is wrong or has expired."),
                           field="verification") from exc
