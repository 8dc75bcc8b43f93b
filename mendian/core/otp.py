"""One-time codes sent to a phone (sign-up, paying with stored value): 6 digits, 10 minutes, 5 tries.

Codes live in the shared cache as salted hashes; sending is limited to one a minute and ten an hour
per phone and purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput, TooManyRequests
from .messaging import send_text

TTL_SECONDS = 600
MAX_TRIES = 5


def _key(purpose: str, phone: str) -> str:
    return f"otp:{purpose}:{phone}"


def _digest(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def otp_send(*, purpose: str, phone: str, text: str) -> None:
    """Send a new code; ``text`` holds ``{code}``."""
    if not cache.add(f"{_key(purpose, phone)}:cooldown", 1, timeout=60):
        raise TooManyRequests("otp_too_soon", _("A code was just sent; wait a minute before asking again."))
    hourly = f"{_key(purpose, phone)}:hour"
    cache.add(hourly, 0, timeout=3600)
    if cache.incr(hourly) > 10:
        raise TooManyRequests("otp_too_many", _("Too many codes for this phone; try again in an hour."))
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_key(purpose, phone), {"digest": _digest(code), "tries": 0}, timeout=TTL_SECONDS)
    send_text(phone=phone, text=text.format(code=code))


def otp_verify(*, purpose: str, phone: str, code: str) -> None:
    """Accept the code once, or raise ``InvalidInput("otp_invalid")``."""
    key = _key(purpose, phone)
    stored = cache.get(key)
    if not stored or stored["tries"] >= MAX_TRIES:
        raise InvalidInput("otp_invalid", _("The code is wrong or has expired; ask for a new one."), field="code")
    if not hmac.compare_digest(stored["digest"], _digest((code or "").strip())):
        stored["tries"] += 1
        cache.set(key, stored, timeout=TTL_SECONDS)
        raise InvalidInput("otp_invalid", _("The code is wrong or has expired; ask for a new one."), field="code")
    cache.delete(key)
