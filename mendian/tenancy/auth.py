"""Log-in by username or phone (pages and ``POST /auth/token``), and bearer tokens for the API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.db.models import Q
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from .access import Access
from .models import Staff


class StaffBackend(BaseBackend):
    """Authenticates an active staff member by username (case-insensitive) or phone."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Staff | None:
        if not username or password is None:
            return None
        login = username.strip()
        candidates = list(Staff.objects.filter(Q(username__iexact=login) | Q(phone=login))[:2])
        if len(candidates) != 1:
            # Run the hasher anyway so that timing does not tell whether the login exists.
            Staff().set_password(password)
            return None
        staff = candidates[0]
        if staff.check_password(password) and staff.is_active:
            return staff
        return None

    def get_user(self, user_id: int) -> Staff | None:
        return Staff.objects.select_related("merchant", "role").filter(pk=user_id, is_active=True).first()


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def bearer_access(request: HttpRequest) -> Access | None:
    """The access of the request's bearer token (cached on the request); raises on expired or revoked."""
    if hasattr(request, "_bearer_access"):
        return request._bearer_access  # type: ignore[attr-defined,no-any-return]
    from .services.tokens import token_authenticate

    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    access = None
    if scheme.lower() == "bearer" and raw.strip():
        access = token_authenticate(raw=raw.strip(), ip_address=client_ip(request))
    request._bearer_access = access  # type: ignore[attr-defined]
    return access


class BearerAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Access | None:
        return bearer_access(request)

    def authenticate(self, request: HttpRequest, token: str) -> Access | None:  # pragma: no cover - see __call__
        return bearer_access(request)


class SessionAccessAuth(APIKeyCookie):
    """The logged-in page session, for pages that call the API (CSRF checked on writes)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Access | None:
        return getattr(request, "access", None)


def request_merchant_id(request: HttpRequest) -> int | None:
    """Merchant of whoever calls (bearer token or session), for idempotency records."""
    from mendian.core.errors import DomainError

    try:
        access = bearer_access(request) if request.headers.get("Authorization") else getattr(request, "access", None)
    except DomainError:
        return None  # the operation itself answers 401
    return access.merchant.pk if access else None


def _make_api_write():
    from mendian.core.idempotency import make_api_write

    return make_api_write(request_merchant_id)


# Decorate every API write with ``@decorate_view(api_write)``: one transaction, rolled back on any
# error answer, and ``Idempotency-Key`` replays per merchant.
api_write = _make_api_write()
