"""Values of merchant-defined fields (member custom fields and profile record fields)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import InvalidInput

KINDS = ("text", "number", "date", "choice")


def clean_value(kind: str, value: Any, *, choices: list[str], field: str) -> Any:
    """One field's value, cleaned to what JSON keeps: text, a number, an ISO date or one of the choices."""
    if value in (None, ""):
        return None
    if kind == "text":
        text = str(value).strip()
        if len(text) > 500:
            raise InvalidInput("invalid_field_value", _("This value is too long."), field=field)
        return text
    if kind == "number":
        if isinstance(value, bool):
            raise InvalidInput("invalid_field_value", _("Enter a number."), field=field)
        try:
            number = float(value) if not isinstance(value, int) else value
        except (TypeError, ValueError) as exc:
            raise InvalidInput("invalid_field_value", _("Enter a number."), field=field) from exc
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        return number
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise InvalidInput("invalid_field_value", _("Enter a valid date (YYYY-MM-DD)."), field=field) from exc
    if kind == "choice":
        if str(value) not in choices:
            raise InvalidInput("invalid_field_value", _("This value is not one of the allowed choices."),
                               field=field, detail={"choices": choices})
        return str(value)
    raise ValueError(f"unknown field kind {kind}")


def clean_values(definitions: list[dict[str, Any]], values: dict[str, Any] | None, *, prefix: str,
                 partial: bool = False) -> dict[str, Any]:
    """Check ``values`` against field ``definitions`` ({key, kind, choices, required}); unknown keys refused."""
    values = values or {}
    if not isinstance(values, dict):
        raise InvalidInput("invalid_field_value", _("Enter an object."), field=prefix)
    known = {d["key"]: d for d in definitions}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InvalidInput("unknown_field", _("These fields do not exist: %(keys)s") % {"keys": ", ".join(unknown)},
                           field=prefix, detail={"fields": unknown})
    cleaned = {}
    for key, definition in known.items():
        if key not in values and partial:
            continue
        value = clean_value(definition["kind"], values.get(key), choices=definition.get("choices") or [],
                            field=f"{prefix}.{key}")
        if value is None and definition.get("required") and not partial:
            raise InvalidInput("field_required", _("This field is required."), field=f"{prefix}.{key}")
        if value is not None:
            cleaned[key] = value
    return cleaned
