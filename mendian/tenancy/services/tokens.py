"""Bearer tokens: issued at log-in (short-lived) or by the owner for integrations (long-lived).

A token is ``md_`` + 43 random characters; only its SHA-256 is stored, so a leaked database gives no
usable token. Expired and revoked tokens are refused with their own error codes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from mendian.core.generation import TIMEOUT as settings_cache_timeout_seconds
from mendian.core.generation import generation, settings_changed

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
        settings_changed([token.merchant_id])  # cached grants of the token end with the generation
        audit_record(merchant=access.merchant, actor=access, action="token.revoked", target=token,
                     target_label=token.name or token.prefix)
    return token


def token_revoke_all(*, staff: Staff, kind: str | None = None) -> int:
    tokens = ApiToken.objects.filter(staff=staff, revoked_at__isnull=True)
    if kind:
        tokens = tokens.filter(kind=kind)
    settings_changed([staff.merchant_id])
    return tokens.update(revoked_at=timezone.now())


@dataclass(frozen=True)
class _Snapshot:
    """What a valid token grants, cached under its hash for one settings generation of its merchant."""

    access: Access
    generation: int
    expires_at: datetime | None
    last_used_at: datetime | None


def _cache_key(key_hash: str) -> str:
    return f"auth:{key_hash}"


def token_authenticate(*, raw: str, ip_address: str | None = None) -> Access:
    """The access a bearer token grants, or ``NotAuthenticated`` with why it is refused.

    Valid tokens are cached for their merchant's settings generation: revoking a token, changing the
    staff member, their role or stores, or suspending the merchant starts a new generation, so the next
    request reads the database again. The generation is taken before the database is read (the
    token's merchant is remembered from its first use), so a stale grant is never cached as current.
    """
    key_hash = hash_token(raw)
    now = timezone.now()
    found = cache.get_many([_cache_key(key_hash), f"authm:{key_hash}"])
    snapshot, merchant_id = found.get(_cache_key(key_hash)), found.get(f"authm:{key_hash}")
    current = generation(merchant_id) if merchant_id is not None else None
    if snapshot is not None and snapshot.generation == current:
        if snapshot.expires_at is not None and snapshot.expires_at <= now:
            raise NotAuthenticated("token_expired", _("The API token has expired. Please log in again."))
        if snapshot.last_used_at is None or now - snapshot.last_used_at > _TOUCH_INTERVAL:
            ApiToken.objects.filter(pk=snapshot.access.token_id).update(last_used_at=now)
            cache.set(_cache_key(key_hash), replace(snapshot, last_used_at=now), settings_cache_timeout_seconds)
        return replace(snapshot.access, ip_address=ip_address)
    token = (
        ApiToken.objects.select_related("staff", "staff__merchant", "staff__role")
        .filter(key_hash=key_hash)
        .first()
    )
    if token is None:
        raise NotAuthenticated("token_invalid", _("The API token is not valid."))
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
        token.last_used_at = now
    if merchant_id is None:
        cache.set(f"authm:{key_hash}", token.merchant_id, None)  # cached from the next use on
    else:
        access = replace(access, settings_generation=current)
        cache.set(_cache_key(key_hash), _Snapshot(replace(access, ip_address=None), current, token.expires_at,
                                                  token.last_used_at), settings_cache_timeout_seconds)
    return access
