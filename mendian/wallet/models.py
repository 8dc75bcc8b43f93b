"""Stored value (储值): accounts with principal (本金) and bonus (赠送金), recharge plans, the ledger,
and the per-store pools that say whose money is spent where (cross-store settlement, 对账)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mendian.core.models import MerchantOwned, TimeStamped, ledger_merchant


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CARD = "card", _("Bank card")
    STORED_VALUE = "stored_value", _("Stored value")


RECHARGE_METHODS = (PaymentMethod.CASH, PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.CARD)


class RechargePlan(MerchantOwned, TimeStamped):
    """Pay ``pay_fen``, get ``bonus_fen`` on top (充300送150); limited to some stores when it names them."""

    name = models.CharField(_("name"), max_length=60)
    pay_fen = models.BigIntegerField(_("pay (fen)"))
    bonus_fen = models.BigIntegerField(_("bonus (fen)"), default=0)
    stores = models.ManyToManyField("tenancy.Store", blank=True, related_name="+", verbose_name=_("only in stores"))
    is_active = models.BooleanField(_("on offer"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("recharge plan")
        verbose_name_plural = _("recharge plans")
        indexes = [models.Index(fields=["merchant", "is_active"], name="plan_merchant_active")]
        constraints = [
            models.CheckConstraint(condition=Q(pay_fen__gt=0) & Q(bonus_fen__gte=0), name="plan_amounts"),
        ]

    def __str__(self) -> str:
        return self.name


class WalletAccount(MerchantOwned):
    """A member's stored value. Balances change only with a ``WalletEntry`` in the same transaction.

    ``pools`` splits the balance by the store where it was recharged (for spending the own store's
    money first and for settlement between stores): ``{"<store id>": [principal, bonus]}``, only
    stores with money left. Writers hold the row lock (``select_for_update``) while they change it.
    """

    merchant = ledger_merchant()

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="wallet")
    principal_fen = models.BigIntegerField(default=0)
    bonus_fen = models.BigIntegerField(default=0)
    pools = models.JSONField(default=dict)
    # Principal recharged over the account's life, net of refunded recharges (levels by recharge).
    recharged_total_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(principal_fen__gte=0) & Q(bonus_fen__gte=0),
                                   name="wallet_not_negative"),
        ]

    @property
    def balance_fen(self) -> int:
        return self.principal_fen + self.bonus_fen

    def pool(self, store_id: int) -> tuple[int, int]:
        """(principal, bonus) recharged in ``store_id`` and not spent yet."""
        principal, bonus = self.pools.get(str(store_id), (0, 0))
        return principal, bonus


class Recharge(MerchantOwned):
    """A top-up: paid money in, principal and bonus onto the account."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(WalletAccount, on_delete=models.PROTECT, related_name="recharges")
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(RechargePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    pay_fen = models.BigIntegerField()
    bonus_fen = models.BigIntegerField(default=0)
    # Of ``bonus_fen``, what a recharge-bonus promotion (充值送) added.
    promotion = models.ForeignKey("promotions.Promotion", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", db_index=False)
    promotion_bonus_fen = models.BigIntegerField(default=0)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    refunded_principal_fen = models.BigIntegerField(default=0)
    forfeited_bonus_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["merchant", "created_at"], name="recharge_merchant_time")]
        constraints = [
            models.CheckConstraint(condition=Q(pay_fen__gt=0) & Q(bonus_fen__gte=0), name="recharge_amounts"),
            models.CheckConstraint(condition=Q(refunded_principal_fen__lte=models.F("pay_fen")),
                                   name="recharge_refund_within_pay"),
        ]


class WalletEntry(MerchantOwned):
    """One change of a member's stored value (append-only): principal and bonus moved together."""

    merchant = ledger_merchant()

    class Reason(models.TextChoices):
        RECHARGE = "recharge", _("Recharge")
        SPEND = "spend", _("Spend")
        REFUND = "refund", _("Refund of a spend")
        RECHARGE_REFUND = "recharge_refund", _("Recharge refunded")
        IMPORT = "import", _("Imported")
        ADJUST = "adjust", _("Adjusted")

    account = models.ForeignKey(WalletAccount, on_delete=models.PROTECT, related_name="entries")
    # Denormalised from the account (which holds the checked reference): no database constraint.
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False,
                               db_constraint=False)
    principal_delta_fen = models.BigIntegerField()
    bonus_delta_fen = models.BigIntegerField()
    principal_after_fen = models.BigIntegerField()
    bonus_after_fen = models.BigIntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    ref_type = models.CharField(max_length=30, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False, db_constraint=False)
    note = models.CharField(max_length=200, blank=True)
    # Which stores' pools moved: ``[[store id, principal delta, bonus delta], …]``, adding up to the
    # entry's deltas (recharged in that store, used in ``store``).
    parts = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "member", "-id"], name="wallet_entry_member"),
            models.Index(fields=["merchant", "created_at"], name="wallet_entry_time"),
            # entries with no reference (opening balances, manual changes) are never looked up by it
            models.Index(fields=["merchant", "ref_type", "ref_id"], condition=models.Q(ref_id__isnull=False),
                         name="wallet_entry_ref"),
        ]

    @property
    def delta_fen(self) -> int:
        return self.principal_delta_fen + self.bonus_delta_fen
