"""Money is integer fen (分). One place for parsing, formatting, rounding and allocation.

Rounding is half-up to the fen (as API.md fixes it) and lives in ``div_half_up`` only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import InvalidInput

_YUAN_RE = re.compile(r"^\s*(-)?(\d{1,13})(?:\.(\d{1,2}))?\s*$")


def div_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, on integers only."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def percent_of(amount_fen: int, pct: int) -> int:
    """``amount × pct / 100``, half-up: ``percent_of(999, 95) == 949``."""
    return div_half_up(amount_fen * pct, 100)


def parse_yuan(text: str) -> int:
    """Parse a yuan amount typed by a person (``"12.3"``) into fen (``1230``); refuse anything else."""
    match = _YUAN_RE.match(str(text))
    if not match:
        raise InvalidInput("invalid_amount", _invalid_amount_message())
    sign, whole, frac = match.groups()
    fen = int(whole) * 100 + int((frac or "").ljust(2, "0"))
    return -fen if sign else fen


def _invalid_amount_message() -> str:
    from django.utils.translation import gettext

    return gettext("Enter an amount in yuan with at most two decimals, e.g. 12.50.")


def format_fen(fen: int, *, symbol: bool = True) -> str:
    """``format_fen(123456) == "¥1,234.56"``; negative amounts keep their sign in front."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    text = f"{whole:,}.{part:02d}"
    return f"{sign}¥{text}" if symbol else f"{sign}{text}"


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` in proportion, by largest remainder; parts always sum to ``total``.

    Ties in the remainder go to the earlier weight, so the split is deterministic. All-zero weights
    split evenly. Works for negative totals by splitting the absolute value.
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero total over no weights")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * len(weights)
        weight_sum = len(weights)
    parts = []
    remainders = []
    for index, weight in enumerate(weights):
        part, remainder = divmod(total * weight, weight_sum)
        parts.append(part)
        remainders.append((-remainder, index))
    for _, index in sorted(remainders)[: total - sum(parts)]:
        parts[index] += 1
    return parts
