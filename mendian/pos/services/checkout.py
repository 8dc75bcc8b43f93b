"""Checkout (API.md "Checkout"): one transaction that charges and records everything, or nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.cards.services import card_use, cards_issue
from mendian.catalog.models import Product, StockEntry
from mendian.catalog.services import stock_change
from mendian.core.errors import InvalidInput
from mendian.core.money import allocate
from mendian.core.time import local_date
from mendian.loyalty.models import PointsEntry
from mendian.loyalty.services import Figures, PointsMove, level_change_audit, level_reached, points_post
from mendian.members.errors import MemberExists
from mendian.members.models import Member
from mendian.members.services import member_record_purchase, register_member
from mendian.promotions.campaigns import give_gifts, promotions_spend, running_promotions
from mendian.promotions.coupons import coupons_use, reason_text
from mendian.promotions.engine import PricedCart, combinable
from mendian.promotions.selectors import templates_for_counter
from mendian.tenancy.access import Access
from mendian.tenancy.models import Store
from mendian.tenancy.services.audit import audit_record
from mendian.wallet.services import wallet_spend

from ..models import Order, OrderCounter, OrderLine, Payment
from ..payments import EXTERNAL_METHODS, provider_for
from ..verification import verify_member_present
from .context import PricingContext, SaleRequest, price_sale, pricing_context, promotion_spends


@dataclass(frozen=True)
class Quote:
    priced: PricedCart
    names: dict[int, str]  # product id → name
    coupons: dict[int, dict[str, Any]]  # coupon id → what the counter shows of it
    promotions: dict[int, str]  # promotion id → name, for the lines a promotion priced


def sale_quote(*, access: Access, request: SaleRequest) -> Quote:
    """Price a cart without changing anything (the counter's live total and ``POST /orders/quote``):
    the priced cart, the products' names, and the member's coupons in words (why one does not apply)."""
    access.require("pos.sell")
    access.require_store(request.store.pk)
    generation = access.generation()
    context = pricing_context(request=request, now=timezone.now(), generation=generation, list_coupons=True)
    priced = price_sale(context)
    templates = templates_for_counter(merchant_id=access.merchant.pk, generation=generation) \
        if context.cart.coupons else {}
    chosen = [c for c in context.cart.coupons if c.coupon_id in priced.coupons_applied]
    coupons = {}
    gives: dict[int, str] = {}
    for coupon, check in zip(context.cart.coupons, priced.coupon_checks, strict=True):
        template = templates[coupon.template_id]
        if template.pk not in gives:
            gives[template.pk] = template.value_text()
        applied = coupon.coupon_id in priced.coupons_applied
        blocked = [templates[c.template_id].name for c in chosen
                   if check.usable and not applied and not combinable([c, coupon])]
        coupons[coupon.coupon_id] = {
            "template_id": template.pk, "name": template.name, "gives": gives[template.pk],
            "valid_until": coupon.valid_until, "applied": applied,
            "reason_text": reason_text(check.reason, check.min_spend_fen, blocked),
        }
    promoted = {line.promotion_id for line in priced.lines if line.promotion_id is not None}
    promotions = {r.promotion.pk: r.promotion.name
                  for r in running_promotions(merchant_id=access.merchant.pk, generation=generation)
                  if r.promotion.pk in promoted} if promoted else {}
    return Quote(priced, {pid: sellable.product.name for pid, sellable in context.products.items()}, coupons,
                 promotions)


def next_order_no(*, store: Store, day: datetime) -> str:
    """``HZ01-261128-0007``: the store's code, its business day and a number counted per store and day."""
    business_day = local_date(day, store.timezone)
    table = connection.ops.quote_name(OrderCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (store_id, day, last) VALUES (%s, %s, 1) ON CONFLICT (store_id, day) "
                       f"DO UPDATE SET last = {table}.last + 1 RETURNING last",
                       [store.pk, connection.ops.adapt_datefield_value(business_day)])
        number = cursor.fetchone()[0]
    return f"{store.code}-{business_day:%y%m%d}-{number:04d}"


def _register(access: Access, request: SaleRequest) -> SaleRequest:
    """A new phone at checkout becomes a member when the merchant wants it (消费即会员)."""
    if request.wanted_member_id is not None or not request.new_member_phone:
        return request
    if not access.merchant.checkout_registers_members:
        raise InvalidInput("checkout_registration_off",
                           _("This merchant does not register members at checkout; register them first."),
                           field="member_phone")
    try:
        member = register_member(merchant=access.merchant, store=request.store, phone=request.new_member_phone,
                                 channel=Member.Channel.CHECKOUT, actor=access)
        member_id = member.pk
    except MemberExists as exists:
        member_id = exists.detail["member_id"]
    return replace(request, member=None, member_id=member_id)


def sale_checkout(*, access: Access, request: SaleRequest, savepoint: bool = True) -> Order:
    """Charge and record a sale: order, lines, payments, stored value, points out and in, stock, member
    statistics, level, audit — all in one transaction. The API passes ``savepoint=False``: its request
    transaction is rolled back whole on any error, so no savepoint of its own is needed."""
    access.require("pos.sell")
    access.require_store(request.store.pk)
    if request.payments is None:
        raise InvalidInput("payments_required", _("Say how the order is paid."), field="payments")
    now = timezone.now()
    with transaction.atomic(savepoint=savepoint):
        request = _register(access, request)
        context = pricing_context(request=request, now=now, lock=True, generation=access.generation())
        priced = price_sale(context)
        member = context.member
        uses_member_money = priced.points_used > 0 or any(p.method == "stored_value" for p in priced.payments)
        verify_member_present(store=request.store, member=member, uses_member_money=uses_member_money,
                              verification=request.verification)
        order = _record(access, request.store, context, priced, now)
        spends = promotion_spends(priced)
        if spends:
            promotions_spend(spends=spends, budgets=context.offers.budget_totals)
        if priced.coupons_applied:
            coupons_use(merchant_id=access.merchant.pk, member_id=member.pk, order_id=order.pk,
                        store_id=request.store.pk, staff=access.staff, when=now,
                        discounts={cid: priced.coupon_discount_of(cid) for cid in priced.coupons_applied})
        _move_stock(access, request.store, context, priced, order, now)
        _move_cards(access, request.store, context, order, now)
        if context.accounts is not None:
            _move_member(access, request.store, context, priced, order, now)
        audit_record(merchant=access.merchant, actor=access, action="order.completed", target=order,
                     store=request.store, target_label=order.no,
                     changes={"payable_fen": order.payable_fen, "member_id": member.pk if member else None})
    return order


def _record(access: Access, store: Store, context: PricingContext, priced: PricedCart, now: datetime) -> Order:
    """The order, its lines and payments (stored value charged here, external methods through their provider)."""
    member = context.member
    order = Order.objects.create(
        merchant=access.merchant, store=store, member=member, staff=access.staff,
        no=next_order_no(store=store, day=now), business_date=local_date(now, store.timezone),
        subtotal_fen=priced.subtotal_fen, member_discount_fen=priced.member_discount_fen,
        coupon_discount_fen=priced.coupon_discount_fen, points_used=priced.points_used,
        points_discount_fen=priced.points_discount_fen, payable_fen=priced.payable_fen,
        points_earned=priced.points_earned, change_fen=priced.change_fen,
        coupons_applied=list(priced.coupons_applied), card_discount_fen=priced.card_discount_fen, created_at=now,
    )
    lines = OrderLine.objects.bulk_create([
        OrderLine(order=order, product_id=line.product_id, name=context.products[line.product_id].product.name,
                  kind=context.products[line.product_id].product.kind, qty=line.qty,
                  unit_price_fen=line.unit_price_fen, member_unit_price_fen=line.member_unit_price_fen,
                  line_price_fen=line.line_price_fen, member_discount_fen=line.member_discount_fen,
                  coupon_discount_fen=line.coupon_discount_fen, coupon_shares=list(line.coupon_shares),
                  points_discount_fen=line.points_discount_fen, points_used=line.points_used,
                  payable_fen=line.payable_fen, points_earned=line.points_earned,
                  cost_fen=context.products[line.product_id].product.cost_fen, promotion_id=line.promotion_id,
                  promotion_discount_fen=line.promotion_discount_fen, member_card_id=line.member_card_id,
                  card_discount_fen=line.card_discount_fen)
        for line in priced.lines
    ])
    payments = []
    for paid in priced.payments:
        payment = Payment(order=order, method=paid.method, amount_fen=paid.amount_fen, tendered_fen=paid.tendered_fen,
                          change_fen=paid.change_fen)
        if paid.method == "stored_value":
            if member is None:
                raise InvalidInput("stored_value_needs_member", _("Only members pay with stored value."),
                                   field="payments")
            payment.wallet_entry = wallet_spend(member=member, store=store, amount_fen=paid.amount_fen,
                                                staff=access.staff, ref_type="order", ref_id=order.pk, when=now,
                                                account=context.accounts.wallet)
        elif paid.method in EXTERNAL_METHODS:
            charge = provider_for(paid.method).charge(method=paid.method, amount_fen=paid.amount_fen, order_no=order.no)
            payment.provider, payment.provider_ref = charge.provider, charge.reference
        payments.append(payment)
    payments = Payment.objects.bulk_create(payments)
    # The API answers with the order as written: no need to read it back.
    order._prefetched_objects_cache = {"lines": lines, "payments": payments}
    return order


def _move_member(access: Access, store: Store, context: PricingContext, priced: PricedCart, order: Order,
                 now: datetime) -> None:
    """Points out and in, the level the new figures reach, and the member's statistics."""
    accounts = context.accounts
    member, account = accounts.member, accounts.loyalty
    moves = []
    if priced.points_used:
        moves.append(PointsMove(delta=-priced.points_used, reason=PointsEntry.Reason.REDEEM, ref_type="order",
                                ref_id=order.pk))
    if priced.points_earned:
        moves.append(PointsMove(delta=priced.points_earned, reason=PointsEntry.Reason.EARN, ref_type="order",
                                ref_id=order.pk))
    figures = Figures(spend_fen=member.total_spent_fen + priced.payable_fen,
                      recharge_fen=accounts.wallet.recharged_total_fen,
                      points_earned=account.points_earned_total + priced.points_earned)
    old_level = account.level
    level = level_reached(account=account, levels=context.levels, figures=figures)
    if moves or level is not None:
        points_post(account=account, member=member, moves=moves, store=store, staff=access.staff, when=now,
                    rule=context.rule, merchant=access.merchant, level=level)
    if level is not None:
        level_change_audit(member=member, old=old_level, new=level)
    first_visit = member.order_count == 0
    member_record_purchase(member=member, amount_fen=priced.payable_fen, when=now)
    if first_visit:
        give_gifts(kind="first_visit_gift", merchant=access.merchant, store=store, member_ids=[member.pk], when=now)


def _move_cards(access: Access, store: Store, context: PricingContext, order: Order, now: datetime) -> None:
    """Lines paid by member cards use them (the use refers to the order); card lines sell the cards, one
    per unit, each worth its share of what the line cost."""
    member = context.member
    for line in order._prefetched_objects_cache["lines"]:
        if line.member_card_id is not None:
            use = card_use(access=access, member_card_id=line.member_card_id, product_id=line.product_id,
                           store_id=store.pk, qty=line.qty, member_id=member.pk, ref_type="order", ref_id=order.pk)
            OrderLine.objects.filter(pk=line.pk).update(card_use=use)
            line.card_use = use
        elif line.kind == Product.Kind.CARD:
            access.require("cards.sell")
            cards_issue(merchant=access.merchant, member=member, product=context.products[line.product_id].product,
                        store=store, paid_fens=allocate(line.payable_fen, [1] * line.qty), staff=access.staff,
                        when=now, order_id=order.pk, order_line_id=line.pk)


def _move_stock(access: Access, store: Store, context: PricingContext, priced: PricedCart, order: Order,
                now: datetime) -> None:
    for line in priced.lines:
        product = context.products[line.product_id].product
        if product.kind == Product.Kind.GOODS and product.track_stock:
            stock_change(merchant=access.merchant, store=store, product=product, delta=-line.qty,
                         reason=StockEntry.Reason.SALE, staff=access.staff, ref_type="order", ref_id=order.pk,
                         when=now)
