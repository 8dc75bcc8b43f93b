"""Small input checks shared by services of every app."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput


def required_text(value: Any, *, field: str, message: str | Promise, max_length: int) -> str:
    """Stripped text that must not be empty nor longer than ``max_length``."""
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        raise InvalidInput(f"{field}_required", message, field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field}_too_long", _("The name is too long."), field=field)
    return text
