from django import template

from mendian.core.money import format_fen
from mendian.core.phones import mask_phone

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """``{{ 123456|yuan }}`` → ``¥1,234.56``; empty for None."""
    return "" if fen is None else format_fen(int(fen))


@register.filter
def masked(phone: str | None) -> str:
    return mask_phone(phone)


@register.filter
def plain_yuan(fen: int | None) -> str:
    """``{{ 1250|plain_yuan }}`` → ``12.50`` (for form fields)."""
    return "" if fen is None else format_fen(int(fen), symbol=False).replace(",", "")
