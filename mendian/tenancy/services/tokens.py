"""Bearer tokens: issued at log-in (short-lived) or by the owner for integrations (long-lived).

A token is ``md_`` + 43 random characters; only its SHA-256 is stored, so a leaked database gives no
usable token. Expired and revoked tokens are refused with their own error codes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied

from ..access import Access
from ..models import ApiToken, Merchant, Staff
from .audit import audit_record

TOKEN_PREFIX = "md_"
# last_used_at is written at most this often per token, so reads do not turn into writes.
_TOUCH_INTERVAL = timedelta(minutes=5)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token(
    *, staff: Staff, kind: str, name: str, expires_at: datetime | None, created_by: Staff | None
) -> tuple[str, ApiToken]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        merchant_id=staff.merchant_id,
        staff=staff,
        kind=kind,
        name=name,
        prefix=raw[:10],
        key_hash=hash_token(raw),
        created_by=created_by,
        expires_at=expires_at,
    )
    return raw, token


def token_issue_login(*, staff: Staff, ip_address: str | None = None) -> tuple[str, ApiToken]:
    """A token for a staff member who just proved their password (``POST /auth/token``)."""
    if staff.merchant_id is None:
        raise PermissionDenied("no_merchant", _("This account does not belong to a merchant."))
    merchant = Merchant.objects.get(pk=staff.merchant_id)
    if merchant.status != Merchant.Status.ACTIVE:
        raise PermissionDenied("merchant_suspended", _("This merchant account is suspended."))
    with transaction.atomic():
        raw, token = _new_token(
            staff=staff, kind=ApiToken.Kind.LOGIN, name="", created_by=staff,
            expires_at=timezone.now() + settings.API_TOKEN_TTL,
        )
        audit_record(merchant=merchant, actor=staff, action="auth.token_issued", target=token,
                     target_label=token.prefix, ip_address=ip_address)
    return raw, token


def token_create_integration(
    *, access: Access, name: str, staff: Staff | None = None, expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """A long-lived token for a till, a mini-program or an e-shop, acting as ``staff`` (default: the owner)."""
    access.require("tokens.manage")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name_required", _("Name the integration, e.g. 'Mini-program'."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("invalid_expiry", _("The expiry must be in the future."), field="expires_at")
    acting = staff or access.staff
    if acting.merchant_id != access.merchant.pk:
        raise NotFound("staff_not_found", _("Staff member not found."), field="staff_id")
    if not acting.is_active:
        raise Conflict("staff_inactive", _("This staff member is deactivated."), field="staff_id")
    with transaction.atomic():
        raw, token = _new_token(
            staff=acting, kind=ApiToken.Kind.INTEGRATION, name=name[:100], expires_at=expires_at,
            created_by=access.staff,
        )
        audit_record(merchant=access.merchant, actor=access, action="token.created", target=token,
                     target_label=f"{name} ({token.prefix}…)", changes={"acts_as": acting.username})
    return raw, token


def token_revoke(*, access: Access, token: ApiToken) -> ApiToken:
    """Revoke a token: one's own, or any of the merchant's with ``tokens.manage``."""
    if token.merchant_id != access.merchant.pk:
        raise NotFound()
    if token.staff_id != access.staff.pk:
        access.require("tokens.manage")
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(merchant=access.merchant, actor=access, action="token.revoked", target=token,
                     target_label=token.name or token.prefix)
    return token


def token_revoke_all(*, staff: Staff, kind: str | None = None) -> int:
    tokens = ApiToken.objects.filter(staff=staff, revoked_at__isnull=True)
    if kind:
        tokens = tokens.filter(kind=kind)
    return tokens.update(revoked_at=timezone.now())


def token_authenticate(*, raw: str, ip_address: str | None = None) -> Access:
    """The access a bearer token grants, or ``NotAuthenticated`` with why it is refused."""
    token = (
        ApiToken.objects.select_related("staff", "staff__merchant", "staff__role")
        .filter(key_hash=hash_token(raw))
        .first()
    )
    if token is None:
        raise NotAuthenticated("token_invalid", _("The API token is not valid."))
    now = timezone.now()
    if token.revoked_at is not None:
        raise NotAuthenticated("token_revoked", _("The API token has been revoked."))
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated("token_expired", _("The API token has expired. Please log in again."))
    staff = token.staff
    access = Access.for_staff(staff, ip_address=ip_address, token_id=token.pk)
    if access is None:
        raise NotAuthenticated("token_invalid", _("The API token is not valid."))
    if access.merchant.status != Merchant.Status.ACTIVE:
        raise NotAuthenticated("merchant_suspended", _("This merchant account is suspended."))
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return access
