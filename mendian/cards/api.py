"""REST endpoints of cards (API.md "Cards"): templates, members' cards, uses and their reversal, transfers.
Selling a card goes through the checkout: ``POST/GET /members/{id}/cards`` are the counter's
(``pos/api_cards.py``: one path is one router's)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from mendian.core.api import ErrorOut, ListParams, page_of
from mendian.core.pagination import paginate
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import selectors, services
from .models import CardTemplate, CardUse, MemberCard
from .schemas import (
    CardEntryOut,
    CardOut,
    CardTemplateIn,
    CardTemplateOut,
    CardTemplatePatch,
    CardTemplateStatusIn,
    CardTransferIn,
    CardUseIn,
    CardUseReverseIn,
    UsedCardOut,
)
from .values import card_refund_value

router = Router(tags=["cards"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def template_out(template: CardTemplate) -> dict[str, Any]:
    out = {name: getattr(template, name) for name in CardTemplateOut.model_fields if name not in ("id", "items")}
    return out | {"id": template.pk, "items": [{"product_id": i.product_id, "name": i.product.name, "uses": i.uses}
                                               for i in template.items.all()]}


def card_out(card: MemberCard) -> dict[str, Any]:
    now = timezone.now()
    balances = list(card.balances.all())
    return {
        "id": card.pk, "template_id": card.template_id, "member_id": card.member_id, "name": card.name,
        "kind": card.kind, "status": selectors.card_state(card, now), "valid_from": card.valid_from,
        "valid_until": card.valid_until, "paid_fen": card.paid_fen, "refunded_fen": card.refunded_fen,
        "remaining": [{"product_id": b.product_id, "name": b.product.name, "uses_total": b.uses_total,
                       "uses_left": b.uses_left, "used": b.used} for b in balances],
        "store_ids": card.store_ids, "daily_limit": card.daily_limit, "weekly_limit": card.weekly_limit,
        "transferable": card.transferable, "refund_rule": card.refund_rule, "order_id": card.order_id,
        "refund_value_fen": card_refund_value(card=card, balances=balances, now=now)
        if card.status == MemberCard.Status.ACTIVE else 0,
        "store_id": card.store_id, "created_at": card.created_at,
    }


def entry_out(entry: CardUse) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in CardEntryOut.model_fields}


def _items(payload: CardTemplateIn | CardTemplatePatch) -> list[services.ItemIn] | None:
    if payload.items is None:
        return None
    return [services.ItemIn(item.product_id, item.uses) for item in payload.items]


@router.post("/card-templates", response={201: CardTemplateOut, **ERRORS})
@decorate_view(api_write)
def templates_create(request: HttpRequest, payload: CardTemplateIn) -> Status:
    """A punch card (one service with ``uses``), a combo card (several services, each with ``uses``) or a
    period card (services without ``uses``; ``daily_limit``/``weekly_limit``)."""
    access = _access(request)
    fields = payload.model_dump(exclude={"items", "name", "kind", "price_fen"})
    fields["store_ids"] = fields["store_ids"] or []
    template = services.template_create(access=access, name=payload.name, kind=payload.kind,
                                        price_fen=payload.price_fen, items=_items(payload), **fields)
    return Status(201, template_out(selectors.template_get(access=access, template_id=template.pk)))


@router.get("/card-templates", response={200: page_of(CardTemplateOut), **ERRORS})
def templates_list(request: HttpRequest, params: Query[ListParams], status: str | None = None):
    templates = selectors.template_list(access=_access(request), status=status)
    page = paginate(templates, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [template_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.get("/card-templates/{int:card_template_id}", response={200: CardTemplateOut, **ERRORS})
def templates_get(request: HttpRequest, card_template_id: int) -> dict[str, Any]:
    return template_out(selectors.template_get(access=_access(request), template_id=card_template_id))


@router.patch("/card-templates/{int:card_template_id}", response={200: CardTemplateOut, **ERRORS})
@decorate_view(api_write)
def templates_update(request: HttpRequest, card_template_id: int, payload: CardTemplatePatch) -> dict[str, Any]:
    """Change a template; the cards already sold keep what they were sold with."""
    access = _access(request)
    template = selectors.template_get(access=access, template_id=card_template_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"items"})
    if "store_ids" in fields:
        fields["store_ids"] = fields["store_ids"] or []
    services.template_update(access=access, template=template, items=_items(payload), **fields)
    return template_out(selectors.template_get(access=access, template_id=card_template_id))


@router.post("/card-templates/{int:card_template_id}/status", response={200: CardTemplateOut, **ERRORS})
@decorate_view(api_write)
def templates_status(request: HttpRequest, card_template_id: int, payload: CardTemplateStatusIn) -> dict[str, Any]:
    access = _access(request)
    template = selectors.template_get(access=access, template_id=card_template_id)
    services.template_set_status(access=access, template=template, status=payload.status)
    return template_out(selectors.template_get(access=access, template_id=card_template_id))


@router.get("/member-cards/{int:member_card_id}", response={200: CardOut, **ERRORS})
def cards_get(request: HttpRequest, member_card_id: int) -> dict[str, Any]:
    return card_out(selectors.card_get(access=_access(request), member_card_id=member_card_id))


@router.get("/member-cards/{int:member_card_id}/entries", response={200: page_of(CardEntryOut), **ERRORS})
def cards_entries(request: HttpRequest, member_card_id: int, params: Query[ListParams]):
    """The card's ledger: sold, used (who served, which store, which order or booking), given back, refunded."""
    access = _access(request)
    card = selectors.card_get(access=access, member_card_id=member_card_id)
    page = paginate(CardUse.objects.filter(merchant=access.merchant, card=card), cursor=params.cursor,
                    limit=params.limit, order=("-id",))
    return {"items": [entry_out(e) for e in page.items], "next_cursor": page.next_cursor}


@router.post("/member-cards/{int:member_card_id}/use", response={200: UsedCardOut, **ERRORS})
@decorate_view(api_write)
def cards_use(request: HttpRequest, member_card_id: int, payload: CardUseIn) -> dict[str, Any]:
    """Use a card (扫码核销; send an ``Idempotency-Key``): 409 ``card_exhausted`` / ``card_expired``,
    422 ``card_not_valid_here`` / ``product_not_on_card``, 404 ``card_not_found``."""
    access = _access(request)
    entry = services.card_use(access=access, member_card_id=member_card_id, product_id=payload.product_id,
                              store_id=payload.store_id, qty=payload.qty, staff_id=payload.staff_id,
                              note=payload.note)
    return card_out(selectors.card_get(access=access, member_card_id=member_card_id)) | {"use": entry_out(entry)}


@router.post("/card-uses/{int:card_use_id}/reverse", response={200: CardOut, **ERRORS})
@decorate_view(api_write)
def uses_reverse(request: HttpRequest, card_use_id: int, payload: CardUseReverseIn) -> dict[str, Any]:
    """Give a use back to its card (all of it, or ``qty``); send an ``Idempotency-Key``."""
    access = _access(request)
    entry = services.card_use_reverse(access=access, card_use_id=card_use_id, reason=payload.reason, qty=payload.qty)
    return card_out(selectors.card_get(access=access, member_card_id=entry.card_id))


@router.post("/member-cards/{int:member_card_id}/transfer", response={200: CardOut, **ERRORS})
@decorate_view(api_write)
def cards_transfer(request: HttpRequest, member_card_id: int, payload: CardTransferIn) -> dict[str, Any]:
    """Give a transferable card to another member of the merchant."""
    access = _access(request)
    services.card_transfer(access=access, member_card_id=member_card_id, to_member_id=payload.member_id,
                           note=payload.note)
    return card_out(selectors.card_get(access=access, member_card_id=member_card_id))
