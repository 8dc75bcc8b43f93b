"""Cards sold (by the checkout), transferred between members and refunded with their order line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product
from mendian.core.errors import Conflict, InvalidInput, NotFound
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.models import Merchant, Staff, Store
from mendian.tenancy.services.audit import audit_record

from ..errors import card_expired, card_not_found, card_not_valid_here
from ..models import CardBalance, CardTemplate, CardUse, MemberCard
from ..values import card_refund_value
from .common import end_of_days, locked_card


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
            card.valid_from, card.valid_until = when, end_of_days(when, template.valid_days, merchant.timezone)
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



def card_transfer(*, access: Access, member_card_id: int, to_member_id: int, note: str = "") -> MemberCard:
    """Give a transferable card to another member of the merchant (the uses stay with the card), audited."""
    access.require("cards.transfer")
    with transaction.atomic():
        card = locked_card(access.merchant, member_card_id)
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
