"""Levels (会员等级), the points rule and the points ledger (积分明细); balances kept in expiring lots."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mendian.core.generation import SettingsManager, settings_model
from mendian.core.models import MerchantOwned, TimeStamped, ledger_merchant


@settings_model("merchant_id")
class Level(MerchantOwned, TimeStamped):

    objects = SettingsManager()
    class UpgradeBy(models.TextChoices):
        SPEND = "spend", _("Total spend")
        RECHARGE = "recharge", _("Total recharge")
        POINTS = "points", _("Points earned")

    name = models.CharField(_("name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"))
    upgrade_by = models.CharField(_("upgrade by"), max_length=10, choices=UpgradeBy.choices, default=UpgradeBy.SPEND)
    # fen for spend and recharge, points for points
    threshold = models.BigIntegerField(_("threshold"), default=0)
    discount_pct = models.PositiveSmallIntegerField(_("discount %"), default=100)
    points_multiplier_pct = models.PositiveIntegerField(_("points multiplier %"), default=100)
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "rank"], name="level_merchant_rank"),
            models.UniqueConstraint(fields=["merchant", "name"], name="level_merchant_name"),
            models.CheckConstraint(condition=Q(discount_pct__gte=1, discount_pct__lte=100),
                                   name="level_discount_range"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="level_threshold_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


@settings_model("merchant_id")
class PointsRule(MerchantOwned, TimeStamped):
    """How points are earned and redeemed (积分规则); one per merchant."""

    objects = SettingsManager()

    points_per_yuan = models.PositiveIntegerField(_("points per yuan"), default=1)
    redeem_points = models.PositiveIntegerField(_("points per redeem unit"), default=100)
    redeem_fen = models.PositiveIntegerField(_("fen per redeem unit"), default=100)
    max_redeem_pct = models.PositiveSmallIntegerField(_("most of the payable paid by points (percent)"), default=50)
    expire_after_days = models.PositiveIntegerField(_("points expire after (days)"), null=True, blank=True)
    register_points = models.PositiveIntegerField(_("points on registration"), default=0)
    birthday_points = models.PositiveIntegerField(_("points on birthday"), default=0)

    class Meta:
        verbose_name = _("points rule")
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="pointsrule_merchant"),
            models.CheckConstraint(condition=Q(redeem_points__gt=0, redeem_fen__gt=0), name="pointsrule_redeem_unit"),
            models.CheckConstraint(condition=Q(max_redeem_pct__lte=100), name="pointsrule_max_pct"),
        ]


class LoyaltyAccount(MerchantOwned):
    """A member's level and points balance. The balance changes only with a ``PointsEntry``.

    ``lots`` holds the balance by expiry date, soonest first and never-expiring last:
    ``[["2027-06-30", 120], [null, 40]]``; spending takes from the front. ``next_expiry_on`` is the first
    date there, for the daily expiry run. Writers hold the row lock while they change them.
    """

    merchant = ledger_merchant()

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="loyalty")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)  # (merchant, level) below
    level_changed_at = models.DateTimeField(null=True, blank=True)
    points = models.BigIntegerField(default=0)
    # Lifetime points earned (net of reversals): the figure of levels that upgrade by points.
    points_earned_total = models.BigIntegerField(default=0)
    lots = models.JSONField(default=list)
    next_expiry_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(points__gte=0), name="loyalty_points_not_negative")]
        indexes = [
            models.Index(fields=["merchant", "level"], name="loyalty_merchant_level"),
            models.Index(fields=["merchant", "next_expiry_on"], name="loyalty_next_expiry",
                         condition=Q(next_expiry_on__isnull=False)),
        ]


class PointsEntry(MerchantOwned):
    """One change of a member's points (append-only)."""

    merchant = ledger_merchant()

    class Reason(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        REFUND = "refund", _("Refund")
        ADJUST = "adjust", _("Adjusted")
        EXPIRE = "expire", _("Expired")
        IMPORT = "import", _("Imported")

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.PROTECT, related_name="entries")
    # Denormalised from the account (which holds the checked reference): no database constraint.
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False,
                               db_constraint=False)
    delta = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    reason = models.CharField(max_length=10, choices=Reason.choices)
    ref_type = models.CharField(max_length=30, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    store = models.ForeignKey("tenancy.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False, db_constraint=False)
    # Natural key of the operation (e.g. "birthday:2026", an API Idempotency-Key): at most once.
    operation_key = models.CharField(max_length=120, null=True, blank=True)
    # How the entry moved the account's lots: ``[[expiry date or null, points], …]`` adding up to ``delta``.
    lots = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "member", "-id"], name="points_entry_member"),
            models.Index(fields=["merchant", "created_at"], name="points_entry_time"),
            # entries with no reference (opening balances, manual changes) are never looked up by it
            models.Index(fields=["merchant", "ref_type", "ref_id"], condition=models.Q(ref_id__isnull=False),
                         name="points_entry_ref"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "operation_key"], condition=Q(operation_key__isnull=False),
                                    name="points_entry_operation"),
        ]
