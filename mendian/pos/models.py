"""Orders (with their lines and payments), refunds, held carts, order numbers and shifts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mendian.core.models import MerchantOwned, ledger_merchant


class Order(MerchantOwned):
    """A paid sale: what was bought, at what prices, and how it was paid (one transaction)."""

    class Status(models.TextChoices):
        PAID = "paid", pgettext_lazy("order status", "Paid")
        PARTLY_REFUNDED = "partly_refunded", pgettext_lazy("order status", "Partly refunded")
        REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")

    merchant = ledger_merchant()
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False, db_constraint=False)
    no = models.CharField(_("order number"), max_length=32)
    business_date = models.DateField(_("business day"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PAID)
    subtotal_fen = models.BigIntegerField()
    member_discount_fen = models.BigIntegerField(default=0)
    coupon_discount_fen = models.BigIntegerField(default=0)
    points_used = models.BigIntegerField(default=0)
    points_discount_fen = models.BigIntegerField(default=0)
    payable_fen = models.BigIntegerField()
    points_earned = models.BigIntegerField(default=0)
    change_fen = models.BigIntegerField(default=0)
    coupons_applied = models.JSONField(default=list, blank=True)
    card_discount_fen = models.BigIntegerField(default=0)  # service lines paid by member cards
    refunded_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "no"], name="order_merchant_no")]
        indexes = [
            models.Index(fields=["merchant", "store", "business_date"], name="order_store_day"),
            # Reports and segments read orders by time: the columns they sum ride along in the index, so
            # PostgreSQL answers from the index alone (INCLUDE is ignored on SQLite).
            models.Index(fields=["merchant", "created_at"], name="order_merchant_time",
                         include=["member", "store", "payable_fen", "refunded_fen", "status"]),
            models.Index(fields=["merchant", "member", "created_at"], name="order_member_time",
                         condition=Q(member__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.no


class OrderLine(models.Model):
    """One product of an order with its share of every discount (API.md rules 2–4, 7), exact to the fen."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", db_index=False)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)
    qty = models.PositiveIntegerField()
    unit_price_fen = models.BigIntegerField()
    member_unit_price_fen = models.BigIntegerField()
    line_price_fen = models.BigIntegerField()
    member_discount_fen = models.BigIntegerField(default=0)
    coupon_discount_fen = models.BigIntegerField(default=0)
    coupon_shares = models.JSONField(default=list, blank=True)
    points_discount_fen = models.BigIntegerField(default=0)
    points_used = models.BigIntegerField(default=0)
    payable_fen = models.BigIntegerField()
    points_earned = models.BigIntegerField(default=0)
    cost_fen = models.BigIntegerField(null=True, blank=True)
    # The promotion that set this line's price (限时折扣, 新客价, 会员日) and what it saved beyond the
    # member's other prices; promotion results and budgets count these.
    promotion = models.ForeignKey("promotions.Promotion", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", db_index=False)
    promotion_discount_fen = models.BigIntegerField(default=0)
    # A service line paid by a member card: the card, its use (given back by a refund of the line) and
    # the price the card covered.
    member_card = models.ForeignKey("cards.MemberCard", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)
    card_use = models.ForeignKey("cards.CardUse", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    card_discount_fen = models.BigIntegerField(default=0)
    refunded_qty = models.PositiveIntegerField(default=0)
    refunded_fen = models.BigIntegerField(default=0)
    refunded_points_used = models.BigIntegerField(default=0)
    refunded_points_earned = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["promotion"], name="orderline_promotion", condition=Q(promotion__isnull=False))]
        constraints = [models.CheckConstraint(condition=Q(refunded_qty__lte=models.F("qty")),
                                              name="orderline_refund_within_qty")]

    def __str__(self) -> str:
        return f"{self.name} ×{self.qty}"


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(max_length=16)
    amount_fen = models.BigIntegerField()
    tendered_fen = models.BigIntegerField(null=True, blank=True)
    change_fen = models.BigIntegerField(default=0)
    provider = models.CharField(max_length=30, blank=True)
    provider_ref = models.CharField(max_length=64, blank=True)
    wallet_entry = models.ForeignKey("wallet.WalletEntry", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)
    refunded_fen = models.BigIntegerField(default=0)
    refunded_principal_fen = models.BigIntegerField(default=0)
    refunded_bonus_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(refunded_fen__lte=models.F("amount_fen")),
                                              name="payment_refund_within_amount")]

    def __str__(self) -> str:
        return f"{self.method} {self.amount_fen}"


class Refund(MerchantOwned):
    merchant = ledger_merchant()
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False, db_constraint=False)
    reason = models.CharField(max_length=200)
    amount_fen = models.BigIntegerField()
    points_returned = models.BigIntegerField(default=0)
    points_taken_back = models.BigIntegerField(default=0)
    points_shortfall = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["merchant", "created_at"], name="refund_merchant_time")]

    def __str__(self) -> str:
        return f"refund {self.order_id} {self.amount_fen}"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refund_lines")
    qty = models.PositiveIntegerField()
    amount_fen = models.BigIntegerField()
    points_used = models.BigIntegerField(default=0)
    points_earned = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.order_line_id} ×{self.qty}"


class RefundPayment(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="payments")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_fen = models.BigIntegerField()
    principal_fen = models.BigIntegerField(default=0)
    bonus_fen = models.BigIntegerField(default=0)
    provider_ref = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.payment_id} {self.amount_fen}"


class OrderCounter(models.Model):
    """The last order number given by a store on a business day."""

    store = models.ForeignKey("tenancy.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="ordercounter_store_day")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.last}"


class HeldOrder(MerchantOwned):
    """A cart put aside at the counter (挂单) to be resumed later."""

    store = models.ForeignKey("tenancy.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    cart = models.JSONField(default=dict)
    note = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "store", "-created_at"], name="held_store_time")]

    def __str__(self) -> str:
        return self.note or str(self.pk)


class Shift(MerchantOwned):
    """A cashier's shift (交接班): opened with a cash float, closed with the counted cash."""

    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    float_fen = models.BigIntegerField()
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_cash_fen = models.BigIntegerField(null=True, blank=True)
    expected_cash_fen = models.BigIntegerField(null=True, blank=True)
    difference_fen = models.BigIntegerField(null=True, blank=True)
    takings = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "store", "-opened_at"], name="shift_store_time")]
        constraints = [models.UniqueConstraint(fields=["staff", "store"], condition=Q(closed_at__isnull=True),
                                               name="shift_one_open_per_staff_store")]

    def __str__(self) -> str:
        return f"{self.staff_id}@{self.store_id} {self.opened_at:%Y-%m-%d %H:%M}"
