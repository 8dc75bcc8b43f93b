"""Domain errors: a stable machine code, a translatable message, and the HTTP status it maps to.

Services raise these; the API layer and the pages render them. Services never raise HTTP errors.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal the caller can act on. ``code`` is stable; ``message`` is for people."""

    status = 422
    default_code = "invalid"
    default_message: str | Promise = _("The request could not be processed.")

    def __init__(
        self,
        code: str | None = None,
        message: str | Promise | None = None,
        *,
        field: str | None = None,
        detail: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message if message is not None else self.default_message
        self.field = field
        self.detail = dict(detail or {})
        if field:
            self.detail.setdefault("field", field)
        if status is not None:
            self.status = status
        super().__init__(f"{self.code}: {self.message}")

    def as_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": str(self.message), "detail": self.detail}}


class InvalidInput(DomainError):
    """422: the input is well-formed but breaks a rule."""

    status = 422
    default_code = "invalid_input"


class BadRequest(DomainError):
    """400: the request itself is malformed."""

    status = 400
    default_code = "bad_request"
    default_message = _("The request is malformed.")


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"
    default_message = _("Please log in first.")


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    """404: missing, or belonging to another merchant or another store — the caller cannot tell which."""

    status = 404
    default_code = "not_found"
    default_message = _("Not found.")


class Conflict(DomainError):
    """409: the state of things forbids it (already used, taken, duplicate)."""

    status = 409
    default_code = "conflict"
    default_message = _("This conflicts with the current state.")


class TooManyRequests(DomainError):
    status = 429
    default_code = "too_many_requests"
    default_message = _("Too many attempts. Please wait and try again.")
