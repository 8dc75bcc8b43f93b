"""The member code (会员码): a static card number and a rotating code a screenshot cannot reuse.

The rotating code is ``9`` + the 10-digit card number + a 6-digit TOTP (HMAC-SHA1 of the member's own
secret over 60-second steps, RFC 6238 via ``pyotp``). It is accepted during its minute and the one
before (a scan can straddle the change); after that a screenshot is useless.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import pyotp

CODE_PREFIX = "9"
CARD_DIGITS = 10
STEP_SECONDS = 60
_CODE_RE = re.compile(rf"^{CODE_PREFIX}(\d{{{CARD_DIGITS}}})(\d{{6}})$")


def new_card_no() -> str:
    return str(secrets.randbelow(9 * 10 ** (CARD_DIGITS - 1)) + 10 ** (CARD_DIGITS - 1))


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=6, interval=STEP_SECONDS)


def member_code(*, card_no: str, secret: str, at: datetime | None = None) -> str:
    otp = _totp(secret).at(at) if at is not None else _totp(secret).now()
    return f"{CODE_PREFIX}{card_no}{otp}"


def parse_code(code: str) -> tuple[str, str] | None:
    """``(card_no, otp)`` of something shaped like a member code, else None."""
    match = _CODE_RE.match(code.strip())
    return (match.group(1), match.group(2)) if match else None


def verify_otp(*, secret: str, otp: str, at: datetime | None = None) -> bool:
    return _totp(secret).verify(otp, for_time=at, valid_window=1) if at else _totp(secret).verify(otp, valid_window=1)


def seconds_left(at: float) -> int:
    return STEP_SECONDS - int(at) % STEP_SECONDS
