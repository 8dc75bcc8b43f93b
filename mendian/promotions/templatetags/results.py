from typing import Any

from django import template

from mendian.core.money import format_fen

register = template.Library()


@register.filter
def label(labels: dict[str, str], key: str) -> str:
    return labels.get(key, key)


@register.filter
def figure(value: Any, key: str) -> str:
    """A result figure for display: money (keys ending in ``_fen``) in yuan, the rest as they are."""
    if key.endswith("_fen") and isinstance(value, int):
        return format_fen(value)
    return str(value)
