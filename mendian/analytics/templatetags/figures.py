"""Showing dashboard figures: money in yuan, counts with thousands, percents, and changes."""

from __future__ import annotations

from typing import Any

from django import template

from mendian.core.money import format_fen

register = template.Library()


@register.filter
def kpi(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return format_fen(value)
    if kind == "pct":
        return f"{value:.1f}%"
    return f"{value:,}"


@register.filter
def change(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value > 0 else ''}{value:.1f}%"


@register.filter
def get(mapping: dict, key: Any) -> Any:
    return mapping.get(key, 0) if mapping else 0
