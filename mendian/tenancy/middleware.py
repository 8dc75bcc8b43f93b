from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .access import Access
from .auth import client_ip


class TenantMiddleware:
    """Sets ``request.access`` (who acts, for which merchant, in which stores) for logged-in pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        access = None
        if user is not None and user.is_authenticated:
            access = Access.for_staff(user, ip_address=client_ip(request))
        request.access = access  # type: ignore[attr-defined]
        if access is not None:
            timezone.activate(ZoneInfo(access.merchant.timezone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
