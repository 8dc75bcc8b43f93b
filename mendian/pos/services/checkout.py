"""Checkout (API.md "Checkout"): one transaction that charges and records everything, or nothing."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import Product, StockEntry
from mendian.catalog.services import stock_change
from mendian.core.db import guarded_add
from mendian.core.errors import InvalidInput
from mendian.core.time import local_date
from mendian.loyalty.models import PointsEntry
from mendian.loyalty.services import level_upgrade, points_change
from mendian.members.errors import MemberExists
from mendian.members.models import Member
from mendian.members.services import member_record_purchase, register_member
from mendian.promotions.engine import PricedCart, price_cart
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record
from mendian.wallet.services import wallet_spend

from ..models import Order, OrderCounter, OrderLine, Payment
from ..payments import EXTERNAL_METHODS, provider_for
from ..verification import verify_member_present
from .context import PricingContext, SaleRequest, pricing_context


def sale_quote(*, access: Access, request: SaleRequest) -> PricedCart:
    """Price a cart without changing anything (the counter's live total and ``POST /orders/quote``)."""
    access.require("pos.sell")
    access.require_store(request.store.pk)
    return price_cart(pricing_context(request=request, now=timezone.now()).cart)


def next_order_no(*, store: Store, day: datetime) -> str:
    """``HZ01-261128-0007``: the store's code, its business day and a number counted per store and day."""
    business_day = local_date(day, store.timezone)
    counter = guarded_add(OrderCounter, _counter_id(store, business_day), {"last": 1})
    return f"{store.code}-{business_day:%y%m%d}-{counter['last']:04d}"


def _counter_id(store: Store, day: object) -> int:
    counter = OrderCounter.objects.filter(store=store, day=day).values_list("id", flat=True).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            return OrderCounter.objects.create(store=store, day=day).pk
    except IntegrityError:
        return OrderCounter.objects.get(store=store, day=day).pk


def _member_for(access: Access, request: SaleRequest) -> Member | None:
    """The member of the sale, registering a new phone when the merchant wants it (消费即会员)."""
    if request.member is not None or not request.new_member_phone:
        return request.member
    if not access.merchant.checkout_registers_members:
        raise InvalidInput("checkout_registration_off",
                           _("This merchant does not register members at checkout; register them first."),
                           field="member_phone")
    try:
        return register_member(merchant=access.merchant, store=request.store, phone=request.new_member_phone,
                               channel=Member.Channel.CHECKOUT, actor=access)
    except MemberExists as exists:
        return Member.objects.get(pk=exists.detail["member_id"])


def sale_checkout(*, access: Access, request: SaleRequest) -> Order:
    """Charge and record a sale: order, lines, payments, stored value, points out and in, stock, member
    statistics, level, audit — all in the caller's transaction (the API opens one per request)."""
    access.require("pos.sell")
    access.require_store(request.store.pk)
    if request.payments is None:
        raise InvalidInput("payments_required", _("Say how the order is paid."), field="payments")
    now = timezone.now()
    with transaction.atomic():
        member = _member_for(access, request)
        if member is not request.member:
            request = SaleRequest(**{**request.__dict__, "member": member})
        context = pricing_context(request=request, now=now)
        priced = price_cart(context.cart)
        uses_member_money = priced.points_used > 0 or any(p.method == "stored_value" for p in priced.payments)
        verify_member_present(store=request.store, member=member, uses_member_money=uses_member_money,
                              verification=request.verification)
        order, payments = _record(access, request, context, priced, now)
        _move_member_money(access, request, context, priced, order, payments, now)
        _move_stock(access, request.store, context, priced, order, now)
        audit_record(merchant=access.merchant, actor=access, action="order.completed", target=order,
                     store=request.store, target_label=order.no,
                     changes={"payable_fen": order.payable_fen, "member_id": member.pk if member else None})
    return order


def _record(access: Access, request: SaleRequest, context: PricingContext, priced: PricedCart,
            now: datetime) -> tuple[Order, list[Payment]]:
    store = request.store
    order = Order.objects.create(
        merchant=access.merchant, store=store, member=request.member, staff=access.staff,
        no=next_order_no(store=store, day=now), business_date=local_date(now, store.timezone),
        subtotal_fen=priced.subtotal_fen, member_discount_fen=priced.member_discount_fen,
        coupon_discount_fen=priced.coupon_discount_fen, points_used=priced.points_used,
        points_discount_fen=priced.points_discount_fen, payable_fen=priced.payable_fen,
        points_earned=priced.points_earned, change_fen=priced.change_fen,
        coupons_applied=list(priced.coupons_applied), created_at=now,
    )
    OrderLine.objects.bulk_create([
        OrderLine(order=order, product_id=line.product_id, name=context.products[line.product_id].product.name,
                  kind=context.products[line.product_id].product.kind, qty=line.qty,
                  unit_price_fen=line.unit_price_fen, member_unit_price_fen=line.member_unit_price_fen,
                  line_price_fen=line.line_price_fen, member_discount_fen=line.member_discount_fen,
                  coupon_discount_fen=line.coupon_discount_fen, coupon_shares=list(line.coupon_shares),
                  points_discount_fen=line.points_discount_fen, points_used=line.points_used,
                  payable_fen=line.payable_fen, points_earned=line.points_earned,
                  cost_fen=context.products[line.product_id].product.cost_fen)
        for line in priced.lines
    ])
    payments = []
    for paid in priced.payments:
        payment = Payment(order=order, method=paid.method, amount_fen=paid.amount_fen, tendered_fen=paid.tendered_fen,
                          change_fen=paid.change_fen)
        if paid.method in EXTERNAL_METHODS:
            charge = provider_for(paid.method).charge(method=paid.method, amount_fen=paid.amount_fen, order_no=order.no)
            payment.provider, payment.provider_ref = charge.provider, charge.reference
        payments.append(payment)
    return order, Payment.objects.bulk_create(payments)


def _move_member_money(access: Access, request: SaleRequest, context: PricingContext, priced: PricedCart,
                       order: Order, payments: list[Payment], now: datetime) -> None:
    member = request.member
    stored_value = next((p for p in payments if p.method == "stored_value"), None)
    if stored_value is not None:
        if member is None:
            raise InvalidInput("stored_value_needs_member", _("Only members pay with stored value."),
                               field="payments")
        entry = wallet_spend(member=member, store=request.store, amount_fen=stored_value.amount_fen,
                             staff=access.staff, ref_type="order", ref_id=order.pk, when=now)
        Payment.objects.filter(pk=stored_value.pk).update(wallet_entry=entry)
    if member is None:
        return
    account = context.account
    if priced.points_used:
        points_change(account=account, member=member, delta=-priced.points_used, reason=PointsEntry.Reason.REDEEM,
                      store=request.store, staff=access.staff, ref_type="order", ref_id=order.pk, when=now,
                      rule=context.rule)
    if priced.points_earned:
        points_change(account=account, member=member, delta=priced.points_earned, reason=PointsEntry.Reason.EARN,
                      store=request.store, staff=access.staff, ref_type="order", ref_id=order.pk, when=now,
                      rule=context.rule)
    member_record_purchase(member=member, amount_fen=priced.payable_fen, when=now)
    level_upgrade(member=member, account=account)


def _move_stock(access: Access, store: Store, context: PricingContext, priced: PricedCart, order: Order,
                now: datetime) -> None:
    for line in priced.lines:
        product = context.products[line.product_id].product
        if product.kind == Product.Kind.GOODS and product.track_stock:
            stock_change(merchant=access.merchant, store=store, product=product, delta=-line.qty,
                         reason=StockEntry.Reason.SALE, staff=access.staff, ref_type="order", ref_id=order.pk,
                         when=now)
