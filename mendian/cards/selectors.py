"""Reads of cards: templates, a member's cards with their balances, a card's ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError, NotFound
from mendian.tenancy.access import Access

from .errors import card_not_found, card_not_valid_here
from .models import CardBalance, CardTemplate, CardUse, MemberCard
from .services import card_usable_check


def template_list(*, access: Access, status: str | None = None) -> QuerySet[CardTemplate]:
    access.require("cards.view")
    templates = CardTemplate.objects.filter(merchant=access.merchant).prefetch_related("items__product")
    return templates.filter(status=status) if status else templates


def template_get(*, access: Access, template_id: int) -> CardTemplate:
    access.require("cards.view")
    template = CardTemplate.objects.filter(merchant=access.merchant, pk=template_id).prefetch_related(
        "items__product").first()
    if template is None:
        raise NotFound("card_template_not_found", _("Card template not found."))
    return template


def _with_balances(cards: QuerySet[MemberCard]) -> QuerySet[MemberCard]:
    return cards.select_related("template").prefetch_related(
        Prefetch("balances", queryset=CardBalance.objects.select_related("product").order_by("id")))


def member_cards(*, access: Access, member_id: int) -> list[MemberCard]:
    """The member's cards, newest first, each with its balances."""
    access.require("cards.view")
    return list(_with_balances(MemberCard.objects.filter(merchant=access.merchant, member_id=member_id))
                .order_by("-id")[:200])


def card_get(*, access: Access, member_card_id: int) -> MemberCard:
    access.require("cards.view")
    card = _with_balances(MemberCard.objects.filter(merchant=access.merchant, pk=member_card_id)).first()
    if card is None:
        raise card_not_found()
    return card


def card_entries(*, card: MemberCard, limit: int = 100) -> list[CardUse]:
    return list(CardUse.objects.filter(merchant_id=card.merchant_id, card=card)
                .select_related("product", "store", "served_by").order_by("-id")[:limit])


def card_state(card: MemberCard, now: datetime) -> str:
    """active, not_started (validity from the first use), used_up, expired or refunded."""
    if card.status == MemberCard.Status.REFUNDED:
        return "refunded"
    if card.valid_until is not None and now > card.valid_until:
        return "expired"
    balances = list(card.balances.all())
    if balances and all(b.uses_left == 0 for b in balances):
        return "used_up"
    if card.valid_until is None and card.starts_on_first_use:
        return "not_started"
    return "active"


@dataclass(frozen=True)
class CardLineCheck:
    member_card_id: int
    product_id: int
    qty: int


def cards_check_for_sale(*, merchant_id: int, member_id: int | None, store_id: int, lines: list[CardLineCheck],
                         now: datetime) -> None:
    """Whether the member's cards can pay these lines (the quote's check; the checkout's ``card_use`` checks
    again under the card's lock). Another member's or merchant's card is 404 ``card_not_found``."""
    if not lines:
        return
    ids = {line.member_card_id for line in lines}
    cards = {c.pk: c for c in _with_balances(MemberCard.objects.filter(merchant_id=merchant_id, pk__in=ids))}
    totals: dict[tuple[int, int], int] = {}
    for line in lines:
        totals[(line.member_card_id, line.product_id)] = totals.get((line.member_card_id, line.product_id), 0) \
            + line.qty
    for (card_id, product_id), qty in totals.items():
        card = cards.get(card_id)
        if card is None or member_id is None or card.member_id != member_id:
            raise card_not_found()
        balance = next((b for b in card.balances.all() if b.product_id == product_id), None)
        try:
            card_usable_check(card=card, product_id=product_id, store_id=store_id, qty=qty, now=now, balance=balance)
        except DomainError as error:
            error.detail.setdefault("member_card_id", card_id)
            raise


def usable_cards(*, access: Access, member_id: int, store_id: int | None, now: datetime) -> list[MemberCard]:
    """The member's cards that can be used now (in ``store_id`` when given), for the counter."""
    result = []
    for card in member_cards(access=access, member_id=member_id):
        if card_state(card, now) not in ("active", "not_started"):
            continue
        if store_id is not None and card.store_ids and store_id not in card.store_ids:
            continue
        result.append(card)
    return result


def cards_of_order_line(*, merchant_id: int, order_line_id: int) -> list[int]:
    """The active cards an order line sold, most recently sold first (the ones a refund closes)."""
    return list(MemberCard.objects.filter(merchant_id=merchant_id, order_line_id=order_line_id,
                                          status=MemberCard.Status.ACTIVE).order_by("-id").values_list("id", flat=True))


def cards_expiring(*, merchant_id: int, now: datetime, within_days: int) -> list[MemberCard]:
    """Active cards whose validity ends within ``within_days`` and that still have uses (or are unlimited):
    what an expiry reminder (到期提醒) goes out for."""
    until = now + timedelta(days=within_days)
    cards = _with_balances(MemberCard.objects.filter(merchant_id=merchant_id, status=MemberCard.Status.ACTIVE,
                                                     valid_until__gte=now, valid_until__lte=until))
    return [c for c in cards.order_by("valid_until", "id")
            if any(b.uses_left is None or b.uses_left > 0 for b in c.balances.all())]


def card_sales_check(*, merchant_id: int, store_id: int, product_ids: set[int]) -> None:
    """Card products in a cart: their templates must be sold in this store (the quote says so at once; the
    checkout's ``cards_issue`` checks again)."""
    for template in CardTemplate.objects.filter(merchant_id=merchant_id, product_id__in=product_ids):
        if template.store_ids and store_id not in template.store_ids:
            error = card_not_valid_here()
            error.detail["card_template_id"] = template.pk
            raise error
