"""Using a card and giving a use back: ``card_use`` is the one function that consumes a card."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.time import day_bounds, local_date
from mendian.core.validation import required_text
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from ..errors import card_exhausted, card_expired, card_not_found, card_not_valid_here, product_not_on_card
from ..models import CardBalance, CardUse, MemberCard
from .common import end_of_days, locked_card

MAX_QTY = 99


def card_usable_check(*, card: MemberCard, product_id: int, store_id: int, qty: int, now: datetime,
                      balance: CardBalance | None) -> None:
    """The checks of a use that need no lock (the quote runs them too): state, service, store, dates, count."""
    if card.status != MemberCard.Status.ACTIVE:
        raise Conflict("card_refunded", _("This card was refunded."))
    if balance is None:
        raise product_not_on_card()
    if card.store_ids and store_id not in card.store_ids:
        raise card_not_valid_here()
    if card.valid_from is not None and now < card.valid_from:
        raise Conflict("card_not_yet_valid", _("This card is not valid yet."))
    if card.valid_until is not None and now > card.valid_until:
        raise card_expired()
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= MAX_QTY:
        raise InvalidInput("invalid_quantity", _("Use a card from 1 to 99 times at once."), field="qty")
    if balance.uses_left is not None and balance.uses_left < qty:
        raise card_exhausted(balance.uses_left)


def _uses_between(card: MemberCard, start: datetime, end: datetime) -> int:
    """Uses of the card in [start, end), less those given back."""
    uses = CardUse.objects.filter(card=card, kind=CardUse.Kind.USE, created_at__gte=start, created_at__lt=end)
    used = uses.aggregate(n=Sum("qty"))["n"] or 0
    if not used:
        return 0
    back = CardUse.objects.filter(card=card, kind=CardUse.Kind.REVERSE, reverses__in=uses).aggregate(n=Sum("qty"))
    return used - (back["n"] or 0)


def _check_caps(card: MemberCard, qty: int, now: datetime, tz_name: str) -> None:
    today = local_date(now, tz_name)
    if card.daily_limit is not None:
        start, end = day_bounds(today, tz_name)
        done = _uses_between(card, start, end)
        if done + qty > card.daily_limit:
            raise Conflict("card_daily_limit", _("Daily limit of this card reached: %(done)s of %(limit)s used today.")
                           % {"limit": card.daily_limit, "done": done},
                           detail={"daily_limit": card.daily_limit, "used_today": done})
    if card.weekly_limit is not None:
        monday = today - timedelta(days=today.weekday())
        start, end = day_bounds(monday, tz_name)[0], day_bounds(monday + timedelta(days=6), tz_name)[1]
        done = _uses_between(card, start, end)
        if done + qty > card.weekly_limit:
            raise Conflict("card_weekly_limit",
                           _("Weekly limit of this card reached: %(done)s of %(limit)s used this week.")
                           % {"limit": card.weekly_limit, "done": done},
                           detail={"weekly_limit": card.weekly_limit, "used_this_week": done})


def card_use(*, access: Access, member_card_id: int, product_id: int, store_id: int, qty: int = 1,
             staff_id: int | None = None, note: str = "", member_id: int | None = None, ref_type: str = "",
             ref_id: int | None = None) -> CardUse:
    """Consume ``qty`` uses of a service on a member card (扫码核销, a checkout line, a booking).

    Locks the card row, checks merchant (and ``member_id`` when given), store, service, dates, daily and
    weekly caps and uses left, then writes the ledger entry and the balance in the same transaction.
    ``staff_id``: who served (default: the caller). ``ref_type``/``ref_id``: what the use is for
    ("order", "booking"). Raises 404 ``card_not_found``, 409 ``card_exhausted`` / ``card_expired`` /
    ``card_refunded`` / ``card_daily_limit`` / ``card_weekly_limit``, 422 ``card_not_valid_here`` /
    ``product_not_on_card`` / ``invalid_quantity``.
    """
    access.require("cards.use")
    store = Store.objects.filter(merchant=access.merchant, pk=store_id).first() \
        if isinstance(store_id, int) and access.sees_store(store_id) else None
    if store is None:
        raise NotFound("store_not_found", _("Store not found."), field="store_id")
    served_by = None
    if staff_id is not None:
        served_by = Staff.objects.filter(merchant=access.merchant, pk=staff_id).first()
        if served_by is None:
            raise NotFound("staff_not_found", _("Staff member not found."), field="staff_id")
    now = timezone.now()
    with transaction.atomic():
        card = locked_card(access.merchant, member_card_id)
        if member_id is not None and card.member_id != member_id:
            raise card_not_found()
        balance = CardBalance.objects.filter(card=card, product_id=product_id).first() \
            if isinstance(product_id, int) else None
        card_usable_check(card=card, product_id=product_id, store_id=store.pk, qty=qty, now=now, balance=balance)
        _check_caps(card, qty, now, access.merchant.timezone)
        if card.starts_on_first_use and card.valid_until is None:
            card.valid_from, card.valid_until = now, end_of_days(now, card.valid_days, access.merchant.timezone)
            card.save(update_fields=["valid_from", "valid_until"])
        updates: dict[str, Any] = {"used": F("used") + qty}
        guard = {}
        if balance.uses_left is not None:
            updates["uses_left"] = F("uses_left") - qty
            guard["uses_left__gte"] = qty
        if not CardBalance.objects.filter(pk=balance.pk, **guard).update(**updates):
            raise card_exhausted(0)  # pragma: no cover - the card lock makes the check above exact
        balance.refresh_from_db(fields=["uses_left", "used"])
        entry = CardUse.objects.create(
            merchant=access.merchant, card=card, balance=balance, product_id=balance.product_id,
            kind=CardUse.Kind.USE, delta=-qty, qty=qty, uses_left_after=balance.uses_left, member_id=card.member_id,
            store=store, staff=access.staff, served_by=served_by or access.staff, ref_type=ref_type[:20],
            ref_id=ref_id, note=(note or "")[:200], created_at=now)
        audit_record(merchant=access.merchant, actor=access, action="card.used", target=card, store=store,
                     target_label=card.name, changes={"product_id": balance.product_id, "qty": qty,
                                                      "uses_left": balance.uses_left, "entry_id": entry.pk})
    return entry


def _give_back(*, merchant: Merchant, use: CardUse, qty: int | None, store: Store | None, staff: Staff | None,
               reason: str, ref_type: str, ref_id: int | None, now: datetime) -> CardUse:
    """Return ``qty`` (default: all not yet returned) of a use to its card; the card is locked here."""
    card = MemberCard.objects.select_for_update(of=("self",)).get(pk=use.card_id)
    returned = CardUse.objects.filter(reverses=use).aggregate(n=Sum("qty"))["n"] or 0
    left = use.qty - returned
    qty = left if qty is None else qty
    if left <= 0:
        raise Conflict("card_use_already_reversed", _("This use was already given back."))
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= left:
        raise InvalidInput("invalid_quantity", _("Give back at most the uses not yet given back."), field="qty")
    if card.status != MemberCard.Status.ACTIVE:
        raise Conflict("card_refunded", _("This card was refunded."))
    balance = CardBalance.objects.get(pk=use.balance_id)
    updates: dict[str, Any] = {"used": F("used") - qty}
    if balance.uses_left is not None:
        updates["uses_left"] = F("uses_left") + qty
    CardBalance.objects.filter(pk=balance.pk).update(**updates)
    balance.refresh_from_db(fields=["uses_left", "used"])
    return CardUse.objects.create(
        merchant=merchant, card=card, balance=balance, product_id=balance.product_id, kind=CardUse.Kind.REVERSE,
        delta=qty, qty=qty, uses_left_after=balance.uses_left, member_id=card.member_id, store=store or use.store,
        staff=staff, reverses=use, ref_type=ref_type, ref_id=ref_id, note=reason[:200], created_at=now)


def card_use_reverse(*, access: Access, card_use_id: int, reason: str, qty: int | None = None) -> CardUse:
    """Give a use back to its card (a mistaken scan, a cancelled service): the reversing entry."""
    access.require("cards.use")
    reason = required_text(reason, field="reason", message=_("Give a reason."), max_length=200)
    use = CardUse.objects.filter(merchant=access.merchant, pk=card_use_id, kind=CardUse.Kind.USE).first() \
        if isinstance(card_use_id, int) else None
    if use is None or not access.sees_store(use.store_id):
        raise NotFound("card_use_not_found", _("Card use not found."))
    with transaction.atomic():
        entry = _give_back(merchant=access.merchant, use=use, qty=qty, store=None, staff=access.staff, reason=reason,
                           ref_type="", ref_id=None, now=timezone.now())
        audit_record(merchant=access.merchant, actor=access, action="card.use_reversed", target=entry.card,
                     store=use.store_id, target_label=entry.card.name,
                     changes={"use_id": use.pk, "qty": entry.qty, "reason": reason})
    return entry


def card_uses_give_back(*, merchant: Merchant, card_use_id: int, qty: int, store: Store, staff: Staff | None,
                        refund_id: int, now: datetime) -> CardUse:
    """A refund of a checkout line paid by a card gives its uses back (inside the refund's transaction)."""
    use = CardUse.objects.get(merchant=merchant, pk=card_use_id, kind=CardUse.Kind.USE)
    return _give_back(merchant=merchant, use=use, qty=qty, store=store, staff=staff, reason="refund",
                      ref_type="refund", ref_id=refund_id, now=now)
