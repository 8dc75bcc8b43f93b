"""Refunds (API.md rule 9): each line's share back to the payments in proportion, stored value to its
principal and bonus, redeemed points back, earned points taken away, stock back — exact to the fen
however the order is refunded, in one go or in parts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.cards.selectors import cards_of_order_line
from mendian.cards.services import card_refund, card_uses_give_back
from mendian.catalog.models import Product, StockEntry
from mendian.catalog.services import stock_change
from mendian.core.errors import Conflict, InvalidInput
from mendian.core.validation import required_text
from mendian.loyalty.models import PointsEntry
from mendian.loyalty.services import PointsMove, points_post
from mendian.members.services import member_record_refund
from mendian.promotions.coupons import coupons_give_back
from mendian.promotions.engine import share_of, split_by_remaining
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record
from mendian.wallet.models import WalletEntry
from mendian.wallet.services import MemberAccounts, member_accounts_lock, wallet_refund_spend

from ..models import Order, OrderLine, Payment, Refund, RefundLine, RefundPayment
from ..payments import EXTERNAL_METHODS, provider_for
from .context import CartLineRequest


def _refund_quantities(lines: list[OrderLine], request: Sequence[CartLineRequest] | None) -> dict[int, int]:
    """Order line id → quantity to refund; the whole remainder when no lines are named."""
    left = {line.pk: line.qty - line.refunded_qty for line in lines}
    if request is None:
        wanted = {pk: qty for pk, qty in left.items() if qty}
        if not wanted:
            raise Conflict("already_refunded", _("This order is already fully refunded."))
        return wanted
    wanted: dict[int, int] = {}
    for item in request:
        if not isinstance(item.qty, int) or isinstance(item.qty, bool) or item.qty <= 0:
            raise InvalidInput("invalid_quantity", _("Refund a whole quantity above zero."), field="lines")
        qty = item.qty
        for line in lines:
            if line.product_id != item.product_id or qty == 0:
                continue
            take = min(qty, left[line.pk] - wanted.get(line.pk, 0))
            if take > 0:
                wanted[line.pk] = wanted.get(line.pk, 0) + take
                qty -= take
        if not any(line.product_id == item.product_id for line in lines):
            raise InvalidInput("product_not_in_order", _("This product is not in the order."), field="lines",
                               detail={"product_id": item.product_id})
        if qty:
            raise Conflict("refund_exceeds_sold", _("That is more than was sold and not yet refunded."),
                           field="lines", detail={"product_id": item.product_id})
    return wanted


def order_refund(*, access: Access, order: Order, reason: str, store: Store | None = None,
                 lines: Sequence[CartLineRequest] | None = None) -> Refund:
    """Refund all of an order or some of its lines (``lines`` None: everything not yet refunded)."""
    access.require_store(order.store_id)
    access.require("pos.refund")
    reason = required_text(reason, field="reason", message=_("Give a reason for the refund."), max_length=200)
    store = store or order.store
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("store").get(pk=order.pk)
        accounts = member_accounts_lock(merchant_id=order.merchant_id, member_id=order.member_id) \
            if order.member_id else None
        order_lines = list(OrderLine.objects.filter(order=order).order_by("id"))
        wanted = _refund_quantities(order_lines, lines)
        refund = Refund.objects.create(merchant=access.merchant, order=order, store=store, staff=access.staff,
                                       reason=reason, amount_fen=0, created_at=now)
        amount, used_back, earned_back = _refund_lines(refund, order_lines, wanted, store, access, now)
        _refund_payments(refund, order, accounts, amount, store, access, now)
        taken, shortfall = _refund_points(access, accounts, store, refund, used_back, earned_back, now)
        _refund_stock(access, store, order_lines, wanted, refund, now)
        fully = all(line.refunded_qty == line.qty for line in order_lines)
        if fully and order.coupons_applied:
            coupons_give_back(order_id=order.pk, merchant_id=order.merchant_id, now=now)
        Order.objects.filter(pk=order.pk).update(
            refunded_fen=order.refunded_fen + amount,
            status=Order.Status.REFUNDED if fully else Order.Status.PARTLY_REFUNDED)
        Refund.objects.filter(pk=refund.pk).update(amount_fen=amount, points_returned=used_back,
                                                   points_taken_back=taken, points_shortfall=shortfall)
        refund.amount_fen, refund.points_returned = amount, used_back
        refund.points_taken_back, refund.points_shortfall = taken, shortfall
        if accounts is not None:
            member_record_refund(member=accounts.member, amount_fen=amount, order_fully_refunded=fully)
        audit_record(merchant=access.merchant, actor=access, action="order.refunded", target=order, store=store,
                     target_label=order.no, changes={"amount_fen": amount, "reason": reason, "full": fully})
    return refund


def _card_refunds(line: OrderLine, qty: int, refund: Refund, store: Store, access: Access, now: datetime) -> int | None:
    """Cards in the refund: a card line closes ``qty`` of its cards and returns what they are still worth
    by their refund rule (instead of the line's share); a line paid by a card gives the uses back.
    None for other lines."""
    if line.card_use_id is not None:
        card_uses_give_back(merchant=access.merchant, card_use_id=line.card_use_id, qty=qty, store=store,
                            staff=access.staff, refund_id=refund.pk, now=now)
        return None
    if line.kind != Product.Kind.CARD:
        return None
    card_ids = cards_of_order_line(merchant_id=access.merchant.pk, order_line_id=line.pk)[:qty]
    if len(card_ids) < qty:
        raise Conflict("refund_exceeds_sold", _("That is more than was sold and not yet refunded."),
                       field="lines", detail={"product_id": line.product_id})
    return sum(card_refund(merchant=access.merchant, card_id=card_id, store=store, staff=access.staff,
                           refund_id=refund.pk, now=now) for card_id in card_ids)


def _refund_lines(refund: Refund, order_lines: list[OrderLine], wanted: dict[int, int], store: Store,
                  access: Access, now: datetime) -> tuple[int, int, int]:
    amount = used_back = earned_back = 0
    rows = []
    for line in order_lines:
        qty = wanted.get(line.pk)
        if not qty:
            continue
        left_qty = line.qty - line.refunded_qty
        pay = _card_refunds(line, qty, refund, store, access, now)
        if pay is None:
            pay = share_of(line.payable_fen - line.refunded_fen, left_qty, qty)
        used = share_of(line.points_used - line.refunded_points_used, left_qty, qty)
        earned = share_of(line.points_earned - line.refunded_points_earned, left_qty, qty)
        line.refunded_qty += qty
        line.refunded_fen += pay
        line.refunded_points_used += used
        line.refunded_points_earned += earned
        line.save(update_fields=["refunded_qty", "refunded_fen", "refunded_points_used", "refunded_points_earned"])
        rows.append(RefundLine(refund=refund, order_line=line, qty=qty, amount_fen=pay, points_used=used,
                               points_earned=earned))
        amount, used_back, earned_back = amount + pay, used_back + used, earned_back + earned
    RefundLine.objects.bulk_create(rows)
    return amount, used_back, earned_back


def _refund_payments(refund: Refund, order: Order, accounts: MemberAccounts | None, amount: int, store: Store,
                     access: Access, now: datetime) -> None:
    payments = list(Payment.objects.select_for_update().filter(order=order).order_by("id"))
    parts = split_by_remaining(amount, [p.amount_fen - p.refunded_fen for p in payments])
    rows = []
    for payment, part in zip(payments, parts, strict=True):
        if not part:
            continue
        row = RefundPayment(refund=refund, payment=payment, amount_fen=part)
        if payment.method == "stored_value":
            spend = WalletEntry.objects.get(pk=payment.wallet_entry_id)
            spend.member = accounts.member
            principal, bonus = split_by_remaining(part, [-spend.principal_delta_fen - payment.refunded_principal_fen,
                                                         -spend.bonus_delta_fen - payment.refunded_bonus_fen])
            wallet_refund_spend(spend=spend, principal_fen=principal, bonus_fen=bonus, store=store,
                                staff=access.staff, ref_type="refund", ref_id=refund.pk, when=now,
                                account=accounts.wallet)
            payment.refunded_principal_fen += principal
            payment.refunded_bonus_fen += bonus
            row.principal_fen, row.bonus_fen = principal, bonus
        elif payment.method in EXTERNAL_METHODS:
            row.provider_ref = provider_for(payment.method).refund(
                method=payment.method, charge_reference=payment.provider_ref, amount_fen=part,
                refund_no=f"{order.no}-R{refund.pk}")
        payment.refunded_fen += part
        payment.save(update_fields=["refunded_fen", "refunded_principal_fen", "refunded_bonus_fen"])
        rows.append(row)
    RefundPayment.objects.bulk_create(rows)


def _refund_points(access: Access, accounts: MemberAccounts | None, store: Store, refund: Refund, used_back: int,
                   earned_back: int, now: datetime) -> tuple[int, int]:
    """Redeemed points back; earned points taken away as far as the balance allows (the rest recorded)."""
    if accounts is None or not (used_back or earned_back):
        return 0, 0
    account = accounts.loyalty
    taken = min(earned_back, account.points + used_back)
    moves = []
    if used_back:
        moves.append(PointsMove(delta=used_back, reason=PointsEntry.Reason.REFUND, ref_type="refund", ref_id=refund.pk,
                                counts_as_earned=False))
    if taken:
        moves.append(PointsMove(delta=-taken, reason=PointsEntry.Reason.REFUND, ref_type="refund", ref_id=refund.pk,
                                counts_as_earned=True))
    points_post(account=account, member=accounts.member, moves=moves, store=store, staff=access.staff, when=now,
                merchant=access.merchant)
    return taken, earned_back - taken


def _refund_stock(access: Access, store: Store, order_lines: list[OrderLine], wanted: dict[int, int],
                  refund: Refund, now: datetime) -> None:
    tracked = set(Product.objects.filter(pk__in=[line.product_id for line in order_lines if line.pk in wanted],
                                         kind=Product.Kind.GOODS, track_stock=True).values_list("id", flat=True))
    for line in order_lines:
        if line.pk in wanted and line.product_id in tracked:
            stock_change(merchant=access.merchant, store=store, product=line.product, delta=wanted[line.pk],
                         reason=StockEntry.Reason.REFUND, staff=access.staff, ref_type="refund", ref_id=refund.pk,
                         when=now)
