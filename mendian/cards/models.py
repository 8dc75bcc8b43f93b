"""Cards (卡项): templates of punch, period and combo cards, the cards members hold, and their ledger.

A member card keeps, per service on it, a balance row (``CardBalance``): uses left (None when
unlimited) and uses made. Both change only together with an appended ``CardUse`` entry, in the same
transaction, on the card's locked row: ``uses_left == sum(delta)`` for limited services and
``used == -sum(delta of uses and their reversals)`` for every service (``manage.py check_ledgers``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mendian.core.models import MerchantOwned, TimeStamped, ledger_merchant


class CardTemplate(MerchantOwned, TimeStamped):
    """What a card gives (卡项模板): its services and counts, price, validity, stores and rules. Sold as
    its catalogue product (kind ``card``), so the counter sells it as a line like any other."""

    class Kind(models.TextChoices):
        PUNCH = "punch", _("Punch card (次卡)")
        PERIOD = "period", _("Period card (月卡/季卡/年卡)")
        COMBO = "combo", _("Combo card (组合卡)")

    class Validity(models.TextChoices):
        FROM_PURCHASE = "from_purchase", _("Days from purchase")
        FROM_FIRST_USE = "from_first_use", _("Days from first use")
        FIXED = "fixed", _("Fixed dates")

    class RefundRule(models.TextChoices):
        PRO_RATA = "pro_rata", _("Pro rata of the unused value")
        UNUSED_ONLY = "unused_only", _("In full before the first use, none after")
        NONE = "none", _("No refund")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("card template", "On sale")
        PAUSED = "paused", pgettext_lazy("card template", "Paused")
        ENDED = "ended", pgettext_lazy("card template", "Ended")

    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    price_fen = models.BigIntegerField(_("price (fen)"))
    product = models.OneToOneField("catalog.Product", on_delete=models.PROTECT, related_name="card_template")
    validity = models.CharField(_("validity"), max_length=16, choices=Validity.choices,
                                default=Validity.FROM_PURCHASE)
    valid_days = models.PositiveIntegerField(_("valid for days"), null=True, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    daily_limit = models.PositiveIntegerField(_("uses a day at most"), null=True, blank=True)
    weekly_limit = models.PositiveIntegerField(_("uses a week at most"), null=True, blank=True)
    store_ids = models.JSONField(default=list, blank=True)  # empty: every store
    transferable = models.BooleanField(_("transferable"), default=False)
    refund_rule = models.CharField(_("refund"), max_length=12, choices=RefundRule.choices,
                                   default=RefundRule.PRO_RATA)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        indexes = [models.Index(fields=["merchant", "status"], name="cardtemplate_merchant_status")]
        constraints = [models.CheckConstraint(condition=Q(price_fen__gte=0), name="cardtemplate_price_not_negative")]

    def __str__(self) -> str:
        return self.name


class CardTemplateItem(models.Model):
    """A service on a card template with its number of uses (None: unlimited, period cards)."""

    template = models.ForeignKey(CardTemplate, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    uses = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "product"], name="cardtemplateitem_unique")]

    def __str__(self) -> str:
        return f"{self.product_id} ×{self.uses or '∞'}"


class MemberCard(MerchantOwned):
    """A card a member holds (会员卡项): sold in an order line, used service by service."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("member card", "Active")
        REFUNDED = "refunded", pgettext_lazy("member card", "Refunded")

    merchant = ledger_merchant()
    template = models.ForeignKey(CardTemplate, on_delete=models.PROTECT, related_name="cards")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=8, choices=CardTemplate.Kind.choices)
    name = models.CharField(max_length=60)
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    paid_fen = models.BigIntegerField()  # what this card cost the member: its value for a refund
    refunded_fen = models.BigIntegerField(default=0)
    # The order line that sold it (the counter app's; a plain id, cards sit below the counter).
    order_id = models.BigIntegerField(null=True, blank=True)
    order_line_id = models.BigIntegerField(null=True, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)  # None and ``starts_on_first_use``: not started
    starts_on_first_use = models.BooleanField(default=False)
    valid_days = models.PositiveIntegerField(null=True, blank=True)
    daily_limit = models.PositiveIntegerField(null=True, blank=True)
    weekly_limit = models.PositiveIntegerField(null=True, blank=True)
    store_ids = models.JSONField(default=list, blank=True)
    transferable = models.BooleanField(default=False)
    refund_rule = models.CharField(max_length=12, choices=CardTemplate.RefundRule.choices)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False, db_constraint=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "member", "status"], name="membercard_member"),
            models.Index(fields=["merchant", "order_line_id"], name="membercard_order_line",
                         condition=Q(order_line_id__isnull=False)),
            models.Index(fields=["merchant", "valid_until"], name="membercard_expiry",
                         condition=Q(status="active")),
        ]
        constraints = [models.CheckConstraint(condition=Q(refunded_fen__lte=models.F("paid_fen")),
                                              name="membercard_refund_within_paid")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class CardBalance(models.Model):
    """One service on a member card: uses left (None: unlimited) and uses made so far."""

    card = models.ForeignKey(MemberCard, on_delete=models.CASCADE, related_name="balances")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", db_index=False)
    uses_total = models.PositiveIntegerField(null=True, blank=True)
    uses_left = models.IntegerField(null=True, blank=True)
    used = models.IntegerField(default=0)
    # The service's price when the card was sold: weighs its uses in a pro rata refund of a combo card.
    unit_value_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["card", "product"], name="cardbalance_unique"),
            models.CheckConstraint(condition=Q(uses_left__isnull=True) | Q(uses_left__gte=0),
                                   name="cardbalance_uses_left_not_negative"),
            models.CheckConstraint(condition=Q(used__gte=0), name="cardbalance_used_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id}:{self.product_id} {self.uses_left}"


class CardUse(MerchantOwned):
    """An entry of a card's ledger (append-only): a use, its reversal, the opening uses, a refund or an
    adjustment. ``delta`` is the change of the service's uses (for unlimited services: minus the uses)."""

    class Kind(models.TextChoices):
        ISSUE = "issue", pgettext_lazy("card entry", "Sold")
        USE = "use", pgettext_lazy("card entry", "Used")
        REVERSE = "reverse", pgettext_lazy("card entry", "Use given back")
        REFUND = "refund", pgettext_lazy("card entry", "Refunded")
        ADJUST = "adjust", pgettext_lazy("card entry", "Adjusted")
        TRANSFER = "transfer", pgettext_lazy("card entry", "Transferred")

    merchant = ledger_merchant()
    card = models.ForeignKey(MemberCard, on_delete=models.PROTECT, related_name="entries")
    balance = models.ForeignKey(CardBalance, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", db_index=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    delta = models.IntegerField(default=0)
    qty = models.PositiveIntegerField(default=0)  # uses: how many; reversals: how many given back
    uses_left_after = models.IntegerField(null=True, blank=True)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False)
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False, db_constraint=False)
    served_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", db_index=False, db_constraint=False)
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals")
    ref_type = models.CharField(max_length=20, blank=True)  # "order", "booking", "refund"…
    ref_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "card", "-id"], name="carduse_card"),
            models.Index(fields=["merchant", "ref_type", "ref_id"], name="carduse_ref",
                         condition=~Q(ref_type="")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d} card {self.card_id}"
