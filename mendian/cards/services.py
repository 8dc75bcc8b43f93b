"""Every write of cards: templates, cards sold, used, given back, transferred and refunded.

``card_use`` is the one function that consumes a card (the API, the counter's checkout and bookings
call it); ``card_use_reverse`` gives a use back. Both lock the card's row, check, append a ledger entry
and update the balance in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.catalog.services import card_product_save
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.core.time import day_bounds, local_date
from mendian.core.validation import required_text
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.audit import diff
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from .errors import card_exhausted, card_expired, card_not_found, card_not_valid_here, product_not_on_card
from .models import CardBalance, CardTemplate, CardTemplateItem, CardUse, MemberCard
from .values import card_refund_value

MAX_PRICE_FEN = 10_000_000_00
MAX_USES = 10_000
MAX_QTY = 99


# --- templates -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemIn:
    product_id: int
    uses: int | None = None


def _whole(value: Any, field: str, *, low: int, high: int, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"invalid_{field}", _("Enter a whole number from %(low)s to %(high)s.")
                           % {"low": low, "high": high}, field=field)
    return value


def _clean_items(access: Access, kind: str, items: Sequence[ItemIn]) -> list[tuple[Product, int | None]]:
    if not items:
        raise InvalidInput("items_required", _("Put at least one service on the card."), field="items")
    ids = [item.product_id for item in items]
    if len(ids) != len(set(ids)):
        raise InvalidInput("duplicate_item", _("Each service appears once on a card."), field="items")
    products = {p.pk: p for p in Product.objects.filter(merchant=access.merchant, pk__in=ids)}
    if len(products) != len(ids):
        raise NotFound("product_not_found", _("Product not found."), field="items",
                       detail={"product_ids": sorted(set(ids) - set(products))})
    if any(p.kind != Product.Kind.SERVICE for p in products.values()):
        raise InvalidInput("not_a_service", _("Cards hold services only."), field="items")
    if kind == CardTemplate.Kind.PUNCH and len(items) != 1:
        raise InvalidInput("punch_one_service", _("A punch card holds one service; use a combo card for several."),
                           field="items")
    cleaned = []
    for item in items:
        if kind == CardTemplate.Kind.PERIOD:
            if item.uses is not None:
                raise InvalidInput("period_no_uses", _("A period card has no counts: set a daily or weekly limit."),
                                   field="items")
            cleaned.append((products[item.product_id], None))
        else:
            cleaned.append((products[item.product_id], _whole(item.uses, "uses", low=1, high=MAX_USES,
                                                               optional=False)))
    return cleaned


def _clean_template(access: Access, fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = required_text(cleaned["name"], field="name", message=_("Enter a name."), max_length=60)
    if "description" in cleaned:
        cleaned["description"] = (cleaned["description"] or "").strip()[:200]
    if "price_fen" in cleaned:
        cleaned["price_fen"] = _whole(cleaned["price_fen"], "price_fen", low=0, high=MAX_PRICE_FEN, optional=False)
    for field in ("valid_days", "daily_limit", "weekly_limit"):
        if field in cleaned:
            cleaned[field] = _whole(cleaned[field], field, low=1, high=3660 if field == "valid_days" else 1000)
    if "validity" in cleaned and cleaned["validity"] not in CardTemplate.Validity.values:
        raise InvalidInput("invalid_validity", _("Choose how long the card is valid."), field="validity")
    if "refund_rule" in cleaned and cleaned["refund_rule"] not in CardTemplate.RefundRule.values:
        raise InvalidInput("invalid_refund_rule", _("Choose a refund rule."), field="refund_rule")
    if "transferable" in cleaned and not isinstance(cleaned["transferable"], bool):
        raise InvalidInput("invalid_flag", _("Enter true or false."), field="transferable")
    for field in ("valid_from", "valid_until"):
        value = cleaned.get(field)
        if value is not None and timezone.is_naive(value):
            # A time without an offset is the merchant's local time.
            cleaned[field] = timezone.make_aware(value, ZoneInfo(access.merchant.timezone))
    if "store_ids" in cleaned:
        store_ids = sorted(set(cleaned["store_ids"] or []))
        found = set(Store.objects.filter(merchant=access.merchant, pk__in=store_ids).values_list("id", flat=True))
        if len(found) != len(store_ids):
            raise NotFound("store_not_found", _("Store not found."), field="store_ids")
        cleaned["store_ids"] = store_ids
    return cleaned


def _check_validity(template: CardTemplate) -> None:
    if template.validity == CardTemplate.Validity.FIXED:
        if template.valid_until is None:
            raise InvalidInput("valid_until_required", _("Give the last day of a card with fixed dates."),
                               field="valid_until")
        if template.valid_from is not None and template.valid_from >= template.valid_until:
            raise InvalidInput("invalid_dates", _("The card must end after it starts."), field="valid_until")
        template.valid_days = None
    else:
        if template.valid_days is None:
            raise InvalidInput("valid_days_required", _("Give the number of days the card is valid."),
                               field="valid_days")
        template.valid_from = template.valid_until = None
    if template.kind != CardTemplate.Kind.PERIOD:
        template.daily_limit = template.weekly_limit = None


def _snapshot(template: CardTemplate) -> dict[str, Any]:
    names = ("name", "kind", "price_fen", "validity", "valid_days", "daily_limit", "weekly_limit", "store_ids",
             "transferable", "refund_rule", "status")
    return {name: getattr(template, name) for name in names}


def template_create(*, access: Access, name: str, kind: str, price_fen: int, items: Sequence[ItemIn],
                    **fields: Any) -> CardTemplate:
    """A new card template and the catalogue product it is sold as."""
    access.require("cards.manage")
    if kind not in CardTemplate.Kind.values:
        raise InvalidInput("invalid_kind", _("A card is a punch, period or combo card."), field="kind")
    cleaned = _clean_template(access, {"name": name, "price_fen": price_fen, **fields})
    lines = _clean_items(access, kind, items)
    template = CardTemplate(merchant=access.merchant, kind=kind, **cleaned)
    _check_validity(template)
    with transaction.atomic():
        template.product = card_product_save(merchant=access.merchant, name=template.name,
                                             price_fen=template.price_fen, is_active=True)
        template.save()
        CardTemplateItem.objects.bulk_create([CardTemplateItem(template=template, product=p, uses=uses)
                                              for p, uses in lines])
        audit_record(merchant=access.merchant, actor=access, action="card_template.created", target=template,
                     changes={"created": _snapshot(template),
                              "items": [[p.pk, uses] for p, uses in lines]})
    return template


def template_update(*, access: Access, template: CardTemplate, items: Sequence[ItemIn] | None = None,
                    **fields: Any) -> CardTemplate:
    """Change a template; cards already sold keep what they were sold with."""
    access.require("cards.manage")
    fields.pop("kind", None)
    cleaned = _clean_template(access, fields)
    lines = _clean_items(access, template.kind, items) if items is not None else None
    with transaction.atomic():
        template = CardTemplate.objects.select_for_update().get(pk=template.pk, merchant=access.merchant)
        before = _snapshot(template)
        for field, value in cleaned.items():
            setattr(template, field, value)
        _check_validity(template)
        changes: dict[str, Any] = diff(before, _snapshot(template))
        old_items = sorted(template.items.values_list("product_id", "uses"))
        if lines is not None and sorted((p.pk, uses) for p, uses in lines) != old_items:
            template.items.all().delete()
            CardTemplateItem.objects.bulk_create([CardTemplateItem(template=template, product=p, uses=uses)
                                                  for p, uses in lines])
            changes["items"] = [[p.pk, uses] for p, uses in lines]
        template.save()
        card_product_save(merchant=access.merchant, product=template.product, name=template.name,
                          price_fen=template.price_fen, is_active=template.status == CardTemplate.Status.ACTIVE)
        if changes:
            audit_record(merchant=access.merchant, actor=access, action="card_template.updated", target=template,
                         changes=changes)
    return template


def template_set_status(*, access: Access, template: CardTemplate, status: str) -> CardTemplate:
    """On sale, paused or ended (an ended template is never sold again; cards sold stay usable)."""
    access.require("cards.manage")
    if status not in CardTemplate.Status.values:
        raise InvalidInput("invalid_status", _("Unknown status."), field="status")
    with transaction.atomic():
        template = CardTemplate.objects.select_for_update().get(pk=template.pk, merchant=access.merchant)
        if template.status == CardTemplate.Status.ENDED and status != template.status:
            raise Conflict("card_template_ended", _("An ended card cannot be sold again."), field="status")
        if status == template.status:
            return template
        old = template.status
        template.status = status
        template.save(update_fields=["status", "updated_at"])
        card_product_save(merchant=access.merchant, product=template.product, name=template.name,
                          price_fen=template.price_fen, is_active=status == CardTemplate.Status.ACTIVE)
        audit_record(merchant=access.merchant, actor=access, action="card_template.status", target=template,
                     changes={"status": [old, status]})
    return template


# --- selling ---------------------------------------------------------------------------------------
def _end_of_days(start: datetime, days: int, tz_name: str) -> datetime:
    """The end of the ``days``-th local day counted from ``start``'s day (a 30-day card bought on the 1st
    is valid to the end of the 30th)."""
    last_day = local_date(start, tz_name) + timedelta(days=days - 1)
    return day_bounds(last_day, tz_name)[1] - timedelta(microseconds=1)


def cards_issue(*, merchant: Merchant, member: Member, product: Product, store: Store, paid_fens: Sequence[int],
                staff: Staff | None, when: datetime, order_id: int | None = None,
                order_line_id: int | None = None) -> list[MemberCard]:
    """The cards sold in one order line, one per unit (``paid_fens``: what each cost). Called by the
    checkout inside its transaction; refuses a template that is not on sale or not sold in this store."""
    template = CardTemplate.objects.filter(merchant=merchant, product=product).prefetch_related(
        "items__product").first()
    if template is None:
        raise NotFound("card_template_not_found", _("Card template not found."), field="lines")
    if template.status != CardTemplate.Status.ACTIVE:
        raise Conflict("card_template_not_on_sale", _("%(name)s is not on sale.") % {"name": template.name},
                       field="lines")
    if template.store_ids and store.pk not in template.store_ids:
        raise card_not_valid_here()
    if template.validity == CardTemplate.Validity.FIXED and template.valid_until <= when:
        raise Conflict("card_template_expired", _("%(name)s has ended: its last day is past.")
                       % {"name": template.name}, field="lines")
    if member.merchant_id != merchant.pk or member.erased_at is not None:
        raise NotFound("member_not_found", _("Member not found."), field="member_id")
    items = list(template.items.all())
    cards = []
    for paid in paid_fens:
        card = MemberCard(
            merchant=merchant, template=template, member=member, kind=template.kind, name=template.name, store=store,
            paid_fen=paid, order_id=order_id, order_line_id=order_line_id, daily_limit=template.daily_limit,
            weekly_limit=template.weekly_limit, store_ids=list(template.store_ids),
            transferable=template.transferable, refund_rule=template.refund_rule, staff=staff, created_at=when,
            valid_days=template.valid_days,
            starts_on_first_use=template.validity == CardTemplate.Validity.FROM_FIRST_USE)
        if template.validity == CardTemplate.Validity.FIXED:
            card.valid_from, card.valid_until = template.valid_from, template.valid_until
        elif template.validity == CardTemplate.Validity.FROM_PURCHASE:
            card.valid_from, card.valid_until = when, _end_of_days(when, template.valid_days, merchant.timezone)
        card.save()
        balances = CardBalance.objects.bulk_create([
            CardBalance(card=card, product=item.product, uses_total=item.uses, uses_left=item.uses,
                        unit_value_fen=item.product.price_fen) for item in items])
        CardUse.objects.bulk_create([
            CardUse(merchant=merchant, card=card, balance=b, product_id=b.product_id, kind=CardUse.Kind.ISSUE,
                    delta=b.uses_total or 0, uses_left_after=b.uses_left, member=member, store=store, staff=staff,
                    ref_type="order" if order_id else "", ref_id=order_id, created_at=when) for b in balances])
        audit_record(merchant=merchant, actor=staff, action="card.sold", target=card, store=store,
                     target_label=card.name, changes={"member_id": member.pk, "paid_fen": paid, "order_id": order_id,
                                                      "valid_until": card.valid_until.isoformat()
                                                      if card.valid_until else None})
        cards.append(card)
    return cards


# --- using -----------------------------------------------------------------------------------------
def _locked_card(merchant: Merchant, member_card_id: Any) -> MemberCard:
    if not isinstance(member_card_id, int) or isinstance(member_card_id, bool):
        raise card_not_found()
    card = MemberCard.objects.select_for_update(of=("self",)).filter(merchant=merchant, pk=member_card_id).first()
    if card is None:
        raise card_not_found()
    return card


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
            raise Conflict("card_daily_limit", _("This card can be used %(limit)s times a day; %(done)s today.")
                           % {"limit": card.daily_limit, "done": done},
                           detail={"daily_limit": card.daily_limit, "used_today": done})
    if card.weekly_limit is not None:
        monday = today - timedelta(days=today.weekday())
        start, end = day_bounds(monday, tz_name)[0], day_bounds(monday + timedelta(days=6), tz_name)[1]
        done = _uses_between(card, start, end)
        if done + qty > card.weekly_limit:
            raise Conflict("card_weekly_limit", _("This card can be used %(limit)s times a week; %(done)s this week.")
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
        card = _locked_card(access.merchant, member_card_id)
        if member_id is not None and card.member_id != member_id:
            raise card_not_found()
        balance = CardBalance.objects.filter(card=card, product_id=product_id).first() \
            if isinstance(product_id, int) else None
        card_usable_check(card=card, product_id=product_id, store_id=store.pk, qty=qty, now=now, balance=balance)
        _check_caps(card, qty, now, access.merchant.timezone)
        if card.starts_on_first_use and card.valid_until is None:
            card.valid_from, card.valid_until = now, _end_of_days(now, card.valid_days, access.merchant.timezone)
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


# --- transfer and refund ---------------------------------------------------------------------------
def card_transfer(*, access: Access, member_card_id: int, to_member_id: int, note: str = "") -> MemberCard:
    """Give a transferable card to another member of the merchant (the uses stay with the card), audited."""
    access.require("cards.transfer")
    with transaction.atomic():
        card = _locked_card(access.merchant, member_card_id)
        if not access.sees_store(card.store_id) and access.is_store_bound:
            raise card_not_found()
        target = Member.objects.filter(merchant=access.merchant, pk=to_member_id, erased_at__isnull=True).first() \
            if isinstance(to_member_id, int) and not isinstance(to_member_id, bool) else None
        if target is None:
            raise NotFound("member_not_found", _("Member not found."), field="to_member_id")
        if not card.transferable:
            raise Conflict("card_not_transferable", _("This card cannot be transferred."))
        if card.status != MemberCard.Status.ACTIVE:
            raise Conflict("card_refunded", _("This card was refunded."))
        now = timezone.now()
        if card.valid_until is not None and now > card.valid_until:
            raise card_expired()
        if target.pk == card.member_id:
            raise InvalidInput("same_member", _("The card already belongs to this member."), field="to_member_id")
        old_member_id = card.member_id
        card.member = target
        card.save(update_fields=["member"])
        CardUse.objects.create(merchant=access.merchant, card=card, kind=CardUse.Kind.TRANSFER, member=target,
                               staff=access.staff, note=(note or "")[:200], ref_type="member", ref_id=old_member_id,
                               created_at=now)
        audit_record(merchant=access.merchant, actor=access, action="card.transferred", target=card,
                     target_label=card.name, changes={"member_id": [old_member_id, target.pk], "note": note})
    return card


def card_refund(*, merchant: Merchant, card_id: int, store: Store, staff: Staff | None, refund_id: int | None,
                now: datetime) -> int:
    """Close a card refunded with its order line: its value under the card's refund rule (returned to the
    caller, which pays it back) and every use left taken off by a refund entry. The card is locked here."""
    card = MemberCard.objects.select_for_update(of=("self",)).get(merchant=merchant, pk=card_id)
    if card.status != MemberCard.Status.ACTIVE:
        raise Conflict("card_refunded", _("This card was refunded."))
    balances = list(CardBalance.objects.filter(card=card).order_by("id"))
    value = card_refund_value(card=card, balances=balances, now=now)
    entries = []
    for balance in balances:
        delta = -(balance.uses_left or 0)
        if delta:
            CardBalance.objects.filter(pk=balance.pk).update(uses_left=0)
        entries.append(CardUse(merchant=merchant, card=card, balance=balance, product_id=balance.product_id,
                               kind=CardUse.Kind.REFUND, delta=delta, uses_left_after=0 if balance.uses_left
                               is not None else None, member_id=card.member_id, store=store, staff=staff,
                               ref_type="refund", ref_id=refund_id, created_at=now))
    CardUse.objects.bulk_create(entries)
    MemberCard.objects.filter(pk=card.pk).update(status=MemberCard.Status.REFUNDED, refunded_fen=value)
    audit_record(merchant=merchant, actor=staff, action="card.refunded", target=card, store=store,
                 target_label=card.name, changes={"refund_id": refund_id, "refunded_fen": value,
                                                  "rule": card.refund_rule,
                                                  "uses_left": {b.product_id: b.uses_left for b in balances}})
    return value
