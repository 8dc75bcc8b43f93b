"""Phone numbers: validated and normalised with ``phonenumbers`` (mainland China by default), masked for display."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput

_PLAIN_MOBILE = re.compile(r"^1\d{10}$")


@lru_cache(maxsize=20000)
def _mobile_prefix_valid(prefix: str) -> bool:
    """Whether 11-digit mainland numbers starting with this 5-digit prefix are valid, per phonenumbers.

    The CN metadata decides mobile validity (and the carrier prefixes it strips, such as 179xx) on at most
    the first five digits, so one lookup per prefix serves every number that shares it; the equivalence
    is checked against phonenumbers number by number in the tests.
    """
    try:
        return _full_normalize(prefix + "000000", "CN") == prefix + "000000"
    except InvalidInput:
        return False


def normalize_phone(raw: str, *, region: str = "CN") -> str:
    """Return the number in E.164 without the ``+86`` for mainland mobiles (``13812345678``), else E.164.

    Raises ``InvalidInput("invalid_phone")`` for anything that is not a valid number.
    """
    text = (raw or "").strip()
    if region == "CN" and _PLAIN_MOBILE.match(text):
        if _mobile_prefix_valid(text[:5]):
            return text
        raise InvalidInput("invalid_phone", _("This is not a valid phone number."), field="phone")
    return _full_normalize(text, region)


def _full_normalize(text: str, region: str) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("invalid_phone", _("This is not a valid phone number."), field="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("invalid_phone", _("This is not a valid phone number."), field="phone")
    if number.country_code == 86:
        return str(number.national_number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str | None) -> str:
    """``13812341234`` → ``138****1234``; short or empty values are masked whole."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
