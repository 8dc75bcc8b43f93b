"""REST endpoints of the counter: quote, checkout, orders, refunds, the payment code."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view
from pydantic import Field, StrictInt

from mendian.core.api import ErrorOut, InSchema, ListParams, page_of
from mendian.core.errors import NotFound
from mendian.core.pagination import paginate
from mendian.members import selectors as member_selectors
from mendian.promotions.engine import PaymentIn, PricedCart
from mendian.tenancy import selectors as tenancy_selectors
from mendian.tenancy.access import Access
from mendian.tenancy.auth import api_write

from . import selectors
from .models import Order, Refund
from .schemas import OrderIn, OrderOut, RefundIn, RefundOut
from .services.checkout import sale_checkout, sale_quote
from .services.context import CartLineRequest, SaleRequest
from .services.refunds import order_refund
from .verification import payment_code_send

router = Router(tags=["counter"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _sale(access: Access, payload: OrderIn) -> SaleRequest:
    store = tenancy_selectors.store_get(access=access, store_id=payload.store_id)
    coupon_ids = payload.coupon_ids
    return SaleRequest(
        store=store, member_id=payload.member_id,
        new_member_phone=payload.member_phone if payload.member_id is None else None,
        lines=tuple(CartLineRequest(line.product_id, line.qty, line.member_card_id) for line in payload.lines),
        coupon_selection="auto" if coupon_ids == "auto" else tuple(coupon_ids or ()),
        points=payload.points,
        payments=tuple(PaymentIn(p.method, p.amount_fen, p.tendered_fen) for p in payload.payments)
        if payload.payments is not None else None,
        verification=payload.verification.model_dump() if payload.verification else None,
    )


def quote_out(priced: PricedCart, sale: SaleRequest, names: dict[int, str],
              promotions: dict[int, str]) -> dict[str, Any]:
    return {
        "store_id": sale.store.pk, "member_id": sale.wanted_member_id,
        "lines": [{**line.__dict__, "name": names.get(line.product_id, ""),
                   "promotion_name": promotions.get(line.promotion_id, "")} for line in priced.lines],
        "subtotal_fen": priced.subtotal_fen, "member_discount_fen": priced.member_discount_fen,
        "coupon_discount_fen": priced.coupon_discount_fen, "points_used": priced.points_used,
        "points_discount_fen": priced.points_discount_fen, "payable_fen": priced.payable_fen,
        "points_earned": priced.points_earned, "coupons_applied": list(priced.coupons_applied),
        "card_discount_fen": priced.card_discount_fen,
        "payments": [p.__dict__ for p in priced.payments], "change_fen": priced.change_fen,
        "warnings": list(priced.warnings), "coupons": [c.__dict__ for c in priced.coupon_checks],
    }


def order_out(order: Order) -> dict[str, Any]:
    lines = list(order.lines.all())
    payments = list(order.payments.all())
    return {
        "id": order.pk, "no": order.no, "status": order.status, "store_id": order.store_id,
        "member_id": order.member_id,
        "lines": [{name: getattr(line, name) for name in ("product_id", "name", "qty", "unit_price_fen",
                                                           "member_unit_price_fen", "line_price_fen",
                                                           "member_discount_fen", "coupon_discount_fen",
                                                           "points_discount_fen", "points_used", "payable_fen",
                                                           "points_earned", "promotion_id",
                                                           "promotion_discount_fen", "member_card_id",
                                                           "card_discount_fen")} for line in lines],
        "subtotal_fen": order.subtotal_fen, "member_discount_fen": order.member_discount_fen,
        "coupon_discount_fen": order.coupon_discount_fen, "points_used": order.points_used,
        "points_discount_fen": order.points_discount_fen, "payable_fen": order.payable_fen,
        "points_earned": order.points_earned, "coupons_applied": order.coupons_applied,
        "card_discount_fen": order.card_discount_fen,
        "payments": [{"method": p.method, "amount_fen": p.amount_fen, "tendered_fen": p.tendered_fen,
                      "change_fen": p.change_fen, "refunded_fen": p.refunded_fen} for p in payments],
        "change_fen": order.change_fen, "refunded_fen": order.refunded_fen, "business_date": order.business_date,
        "created_at": order.created_at,
    }


@router.post("/orders/quote", response={200: OrderOut, **ERRORS})
@decorate_view(api_write)
def orders_quote(request: HttpRequest, payload: OrderIn) -> dict[str, Any]:
    """Price a cart by API.md's money rules; changes nothing."""
    access = _access(request)
    sale = _sale(access, payload)
    quote = sale_quote(access=access, request=sale)
    out = quote_out(quote.priced, sale, quote.names, quote.promotions)
    out["coupons"] = [{**check, **quote.coupons[check["coupon_id"]]} for check in out["coupons"]]
    return out


@router.post("/orders", response={200: OrderOut, **ERRORS})
@decorate_view(api_write)
def orders_create(request: HttpRequest, payload: OrderIn) -> dict[str, Any]:
    """Charge and record the sale in one transaction (send an ``Idempotency-Key``); 200 with the order."""
    access = _access(request)
    return order_out(sale_checkout(access=access, request=_sale(access, payload), savepoint=False))


@router.get("/orders", response={200: page_of(OrderOut), **ERRORS})
def orders_list(request: HttpRequest, params: Query[ListParams], store_id: int | None = None,
                member_id: int | None = None, date_from: date | None = None, date_to: date | None = None):
    access = _access(request)
    orders = selectors.order_list(access=access, store_id=store_id, member_id=member_id, date_from=date_from,
                                  date_to=date_to).prefetch_related("lines", "payments")
    page = paginate(orders, cursor=params.cursor, limit=params.limit, order=("-id",))
    return {"items": [order_out(o) for o in page.items], "next_cursor": page.next_cursor}


@router.get("/orders/{int:order_id}", response={200: OrderOut, **ERRORS})
def orders_get(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = selectors.order_get(access=_access(request), order_id=order_id)
    return order_out(selectors.order_with_details(order_id=order.pk))


def refund_out(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.pk, "order_id": refund.order_id, "order_status": refund.order.status,
        "amount_fen": refund.amount_fen, "points_returned": refund.points_returned,
        "points_taken_back": refund.points_taken_back, "points_shortfall": refund.points_shortfall,
        "created_at": refund.created_at,
        "lines": [{"product_id": r.order_line.product_id, "qty": r.qty, "amount_fen": r.amount_fen,
                   "points_used": r.points_used, "points_earned": r.points_earned}
                  for r in refund.lines.select_related("order_line")],
        "payments": [{"method": r.payment.method, "amount_fen": r.amount_fen, "principal_fen": r.principal_fen,
                      "bonus_fen": r.bonus_fen} for r in refund.payments.select_related("payment")],
    }


@router.post("/orders/{int:order_id}/refund", response={200: RefundOut, **ERRORS})
@decorate_view(api_write)
def orders_refund(request: HttpRequest, order_id: int, payload: RefundIn) -> dict[str, Any]:
    """Refund all of the order (no ``lines``) or some lines; send an ``Idempotency-Key``."""
    access = _access(request)
    order = selectors.order_get(access=access, order_id=order_id)
    lines = [CartLineRequest(line.product_id, line.qty) for line in payload.lines] if payload.lines else None
    refund = order_refund(access=access, order=order, reason=payload.reason, lines=lines)
    return refund_out(Refund.objects.select_related("order").get(pk=refund.pk))


@router.post("/members/{int:member_id}/payment-code", response={204: None, **ERRORS})
@decorate_view(api_write)
def member_payment_code(request: HttpRequest, member_id: int) -> Status:
    """Text the member a one-time code to confirm a stored-value or points payment."""
    access = _access(request)
    access.require("pos.sell")
    member = member_selectors.member_get(access=access, member_id=member_id)
    if member.erased_at is not None:
        raise NotFound("member_not_found", _("Member not found."))
    payment_code_send(member=member)
    return Status(204, None)


# --- held carts (挂单) -------------------------------------------------------------------------
class HeldIn(InSchema):
    store_id: int
    member_id: int | None = None
    lines: list[dict] = Field(min_length=1, max_length=200)
    points: StrictInt = Field(0, ge=0)
    note: str = Field("", max_length=100)


def held_out(held: Any) -> dict[str, Any]:
    return {"id": held.pk, "store_id": held.store_id, "member_id": held.member_id, "cart": held.cart,
            "note": held.note, "created_at": held.created_at.isoformat()}


@router.get("/held-orders", response={200: list[dict], **ERRORS})
def held_list(request: HttpRequest, store_id: int | None = None) -> list[dict[str, Any]]:
    """Held carts of one store, or of every store the caller works in."""
    from .models import HeldOrder

    access = _access(request)
    access.require("pos.sell")
    held = access.scope(HeldOrder.objects.all())
    if store_id is not None:
        held = held.filter(store=tenancy_selectors.store_get(access=access, store_id=store_id))
    return [held_out(h) for h in held.order_by("-created_at")[:50]]


@router.post("/held-orders", response={201: dict, **ERRORS})
@decorate_view(api_write)
def held_create(request: HttpRequest, payload: HeldIn) -> Status:
    from .services.holds import held_order_save

    access = _access(request)
    store = tenancy_selectors.store_get(access=access, store_id=payload.store_id)
    member = member_selectors.member_get(access=access, member_id=payload.member_id) if payload.member_id else None
    held = held_order_save(access=access, store=store, member=member, lines=payload.lines, points=payload.points,
                           note=payload.note)
    return Status(201, held_out(held))


@router.post("/held-orders/{int:held_id}/resume", response={200: dict, **ERRORS})
@decorate_view(api_write)
def held_resume(request: HttpRequest, held_id: int) -> dict[str, Any]:
    from .models import HeldOrder
    from .services.holds import held_order_take

    access = _access(request)
    held = HeldOrder.objects.filter(merchant=access.merchant, pk=held_id).first()
    if held is None or not access.sees_store(held.store_id):
        raise NotFound("held_order_not_found", _("Held cart not found."))
    return held_out(held_order_take(access=access, held=held))
