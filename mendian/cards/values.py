"""What a card is still worth when it is refunded, by its refund rule (no writes, no locks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mendian.core.money import div_half_up

from .models import CardBalance, CardTemplate, MemberCard


def card_refund_value(*, card: MemberCard, balances: Sequence[CardBalance], now: datetime) -> int:
    """The part of what the member paid that a refund gives back now (fen, half-up):

    - ``none``: nothing;
    - ``unused_only``: all of it while the card was never used, nothing after;
    - ``pro_rata``: the unused value. Counted cards: uses left weighed by each service's price when sold
      (a combo card's dearer service counts for more). Period cards: the time left of the validity (all of
      it when the validity starts on a first use that has not come). An expired card is worth nothing.
    """
    paid = card.paid_fen - card.refunded_fen
    rule = card.refund_rule
    never_used = all(b.used == 0 for b in balances)
    if rule == CardTemplate.RefundRule.NONE or paid <= 0:
        return 0
    if rule == CardTemplate.RefundRule.UNUSED_ONLY:
        return paid if never_used else 0
    if card.valid_until is not None and now > card.valid_until:
        return 0
    if card.kind == CardTemplate.Kind.PERIOD:
        if card.valid_until is None or never_used and card.starts_on_first_use:
            return paid
        start = card.valid_from or card.created_at
        total = (card.valid_until - start).total_seconds()
        left = (card.valid_until - max(now, start)).total_seconds()
        if total <= 0:
            return 0
        return div_half_up(paid * int(left), int(total))
    weights = [b.unit_value_fen or 1 for b in balances]
    total = sum((b.uses_total or 0) * w for b, w in zip(balances, weights, strict=True))
    left = sum((b.uses_left or 0) * w for b, w in zip(balances, weights, strict=True))
    return div_half_up(paid * left, total) if total else 0


def value_per_use(*, card: MemberCard, balances: Sequence[CardBalance], balance: CardBalance) -> int | None:
    """What one use of ``balance``'s service is worth of what the member paid (fen, half-up), weighed as a
    pro rata refund weighs it; None for unlimited services (a period card is worth its time, not its uses)."""
    if balance.uses_total is None:
        return None
    weights = {b.pk: b.unit_value_fen or 1 for b in balances}
    total = sum((b.uses_total or 0) * weights[b.pk] for b in balances)
    return div_half_up(card.paid_fen * weights[balance.pk], total) if total else 0
