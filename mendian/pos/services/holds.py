"""Held carts (挂单) and shifts (交接班)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, InvalidInput
from mendian.members.models import Member
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record

from ..models import HeldOrder, Order, Payment, RefundPayment, Shift

MAX_HELD_LINES = 200


def held_order_save(*, access: Access, store: Store, member: Member | None, lines: list[dict[str, Any]],
                    points: int = 0, note: str = "") -> HeldOrder:
    access.require("pos.sell")
    access.require_store(store.pk)
    if not lines or len(lines) > MAX_HELD_LINES:
        raise InvalidInput("empty_cart", _("Add at least one item."), field="lines")
    clean = []
    for line in lines:
        product_id, qty = line.get("product_id"), line.get("qty")
        if not isinstance(product_id, int) or not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= 9999:
            raise InvalidInput("invalid_quantity", _("Quantities are whole numbers from 1 to 9999."), field="lines")
        clean.append({"product_id": product_id, "qty": qty})
    return HeldOrder.objects.create(merchant=access.merchant, store=store, staff=access.staff, member=member,
                                    cart={"lines": clean, "points": max(0, int(points or 0))}, note=note[:100])


def held_order_take(*, access: Access, held: HeldOrder) -> HeldOrder:
    """Resume a held cart: it leaves the list (the counter puts it back in its cart)."""
    access.require("pos.sell")
    access.require_store(held.store_id)
    deleted, _rows = HeldOrder.objects.filter(pk=held.pk).delete()
    if not deleted:
        raise Conflict("held_order_taken", _("Someone already resumed this cart."))
    return held


def shift_open(*, access: Access, store: Store, float_fen: int) -> Shift:
    access.require("pos.shifts")
    access.require_store(store.pk)
    if not isinstance(float_fen, int) or isinstance(float_fen, bool) or not 0 <= float_fen <= 10**9:
        raise InvalidInput("invalid_amount", _("The float is a whole, not negative amount."), field="float_fen")
    try:
        with transaction.atomic():
            shift = Shift.objects.create(merchant=access.merchant, store=store, staff=access.staff,
                                         opened_at=timezone.now(), float_fen=float_fen)
            audit_record(merchant=access.merchant, actor=access, action="shift.opened", target=shift, store=store,
                         changes={"float_fen": float_fen})
    except IntegrityError as exc:
        raise Conflict("shift_open", _("You already have an open shift in this store.")) from exc
    return shift


def shift_takings(*, shift: Shift, until: Any) -> dict[str, int]:
    """Money taken by the shift's cashier in its store during the shift, by payment method, net of refunds."""
    orders = Order.objects.filter(store_id=shift.store_id, staff_id=shift.staff_id, created_at__gte=shift.opened_at,
                                  created_at__lt=until)
    paid = dict(Payment.objects.filter(order__in=orders).values_list("method").annotate(s=Sum("amount_fen"))
                .values_list("method", "s"))
    refunded = dict(RefundPayment.objects.filter(
        refund__store_id=shift.store_id, refund__staff_id=shift.staff_id, refund__created_at__gte=shift.opened_at,
        refund__created_at__lt=until).values_list("payment__method").annotate(s=Sum("amount_fen"))
        .values_list("payment__method", "s"))
    return {method: (paid.get(method) or 0) - (refunded.get(method) or 0) for method in set(paid) | set(refunded)}


def shift_close(*, access: Access, shift: Shift, counted_cash_fen: int, note: str = "") -> Shift:
    """Close with the cash counted in the drawer; the difference from float + cash takings is flagged."""
    access.require("pos.shifts")
    access.require_store(shift.store_id)
    if shift.staff_id != access.staff.pk and not access.can("pos.refund"):
        raise Conflict("not_your_shift", _("Only the cashier or a manager closes a shift."))
    if not isinstance(counted_cash_fen, int) or isinstance(counted_cash_fen, bool) or counted_cash_fen < 0:
        raise InvalidInput("invalid_amount", _("Count the cash as a whole, not negative amount."),
                           field="counted_cash_fen")
    with transaction.atomic():
        shift = Shift.objects.select_for_update().get(pk=shift.pk)
        if shift.closed_at is not None:
            raise Conflict("shift_closed", _("This shift is already closed."))
        now = timezone.now()
        takings = shift_takings(shift=shift, until=now)
        expected = shift.float_fen + takings.get("cash", 0)
        shift.closed_at, shift.counted_cash_fen, shift.expected_cash_fen = now, counted_cash_fen, expected
        shift.difference_fen, shift.takings, shift.note = counted_cash_fen - expected, takings, note[:200]
        shift.save()
        audit_record(merchant=access.merchant, actor=access, action="shift.closed", target=shift,
                     store=shift.store_id,
                     changes={"expected_cash_fen": expected, "counted_cash_fen": counted_cash_fen,
                              "difference_fen": shift.difference_fen})
    return shift
