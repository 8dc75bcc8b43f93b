from django.db import models
from django.utils.translation import gettext_lazy as _

from mendian.core.models import IdSetField, MerchantOwned, TimeStamped, ledger_merchant


class Segment(MerchantOwned, TimeStamped):
    """A saved member filter (会员分群): its definition stays, its members follow the data."""

    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    definition = models.JSONField(_("conditions"))
    # The count when last counted (the page counts again when opened; the daily run keeps it fresh).
    member_count = models.PositiveIntegerField(default=0)
    counted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="segment_merchant_name")]

    def __str__(self) -> str:
        return self.name


class TagRule(MerchantOwned, TimeStamped):
    """A rule tag (智能标签): the members matching the definition carry the tag, recomputed daily and on
    demand. A tag with a rule is set only by its rule."""

    tag = models.OneToOneField("members.Tag", on_delete=models.CASCADE, related_name="rule")
    definition = models.JSONField(_("conditions"))
    preset = models.CharField(_("ready-made rule"), max_length=30, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    member_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rule tag")
        verbose_name_plural = _("rule tags")
        indexes = [models.Index(fields=["merchant", "is_active"], name="tagrule_merchant_active")]

    def __str__(self) -> str:
        return str(self.tag_id)


class RfmSettings(MerchantOwned):
    """How a merchant scores RFM (最近一次消费/消费频率/消费金额), and when it last did."""

    class Method(models.TextChoices):
        QUANTILE = "quantile", _("By fifths of the members (quantiles)")
        THRESHOLDS = "thresholds", _("By thresholds")

    method = models.CharField(_("scoring"), max_length=12, choices=Method.choices, default=Method.QUANTILE)
    period_days = models.PositiveIntegerField(_("period (days)"), default=365)
    # Thresholds, four ascending edges each: days since the last order for R (fewer is better), orders
    # for F and net spend in fen for M (more is better).
    r_days = models.JSONField(default=list)
    f_orders = models.JSONField(default=list)
    m_fen = models.JSONField(default=list)
    scored_at = models.DateTimeField(null=True, blank=True)
    scored_members = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant"], name="rfmsettings_merchant")]


class RfmScore(models.Model):
    """A member's RFM scores (1–5) and group, as of the merchant's last scoring (rewritten each time)."""

    merchant = ledger_merchant()
    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="+",
                                  db_constraint=False)
    last_order_at = models.DateTimeField()
    frequency = models.PositiveIntegerField()
    monetary_fen = models.BigIntegerField()
    r = models.PositiveSmallIntegerField()
    f = models.PositiveSmallIntegerField()
    m = models.PositiveSmallIntegerField()
    group_code = models.CharField(max_length=20)

    class Meta:
        indexes = [models.Index(fields=["merchant", "group_code"], name="rfmscore_merchant_group"),
                   models.Index(fields=["merchant", "r", "f"], name="rfmscore_merchant_rf")]

    def __str__(self) -> str:
        return f"{self.member_id} R{self.r}F{self.f}M{self.m}"


class RollupState(models.Model):
    """The last local day whose figures are stored in the day tables (``rollups.py``)."""

    merchant = models.OneToOneField("tenancy.Merchant", on_delete=models.CASCADE, related_name="+")
    closed_through = models.DateField(null=True, blank=True)
    # The members' facts (``facts.py``): the last local day they cover, and when they were built.
    facts_through = models.DateField(null=True, blank=True)
    facts_built_at = models.DateTimeField(null=True, blank=True)
    facts_catalog = models.CharField(max_length=64, blank=True)  # the products' categories at the build

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.closed_through}"


class MemberFacts(models.Model):
    """A member's orders, net spend and categories bought from over the closed days of each standard
    window (``facts.py``): ``orders_N``, ``spend_N_fen`` and ``categories_N`` cover the N − 1 local days
    before the day after ``facts_through``, so that adding that day's orders gives the last N days.
    Rewritten by each build."""

    merchant = ledger_merchant()
    # the reverse relation (``Member.facts``) lets a segment join the facts to the members it counts
    member = models.OneToOneField("members.Member", on_delete=models.DO_NOTHING, db_constraint=False,
                                  related_name="facts")
    orders_7 = models.IntegerField(default=0)
    orders_14 = models.IntegerField(default=0)
    orders_30 = models.IntegerField(default=0)
    orders_60 = models.IntegerField(default=0)
    orders_90 = models.IntegerField(default=0)
    orders_180 = models.IntegerField(default=0)
    orders_365 = models.IntegerField(default=0)
    spend_7_fen = models.BigIntegerField(default=0)
    spend_14_fen = models.BigIntegerField(default=0)
    spend_30_fen = models.BigIntegerField(default=0)
    spend_60_fen = models.BigIntegerField(default=0)
    spend_90_fen = models.BigIntegerField(default=0)
    spend_180_fen = models.BigIntegerField(default=0)
    spend_365_fen = models.BigIntegerField(default=0)
    # the categories of the lines not refunded in full, by the products' categories at the build
    categories_7 = IdSetField(default=frozenset)
    categories_14 = IdSetField(default=frozenset)
    categories_30 = IdSetField(default=frozenset)
    categories_60 = IdSetField(default=frozenset)
    categories_90 = IdSetField(default=frozenset)
    categories_180 = IdSetField(default=frozenset)
    categories_365 = IdSetField(default=frozenset)

    class Meta:
        indexes = [models.Index(fields=["merchant", "member_id"], name="memberfacts_merchant_member")]

    def __str__(self) -> str:
        return str(self.member_id)


class DayFigures(models.Model):
    """Figures of one store (None: rows without a store) on one local day of a merchant."""

    merchant = ledger_merchant()
    store_id = models.BigIntegerField(null=True)
    day = models.DateField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"


class DaySales(DayFigures):
    orders = models.BigIntegerField(default=0)
    sales_fen = models.BigIntegerField(default=0)
    member_orders = models.BigIntegerField(default=0)
    member_sales_fen = models.BigIntegerField(default=0)
    coupon_discount_fen = models.BigIntegerField(default=0)
    refunds_fen = models.BigIntegerField(default=0)
    new_members = models.BigIntegerField(default=0)
    recharge_principal_fen = models.BigIntegerField(default=0)
    recharge_bonus_fen = models.BigIntegerField(default=0)
    points_earned = models.BigIntegerField(default=0)
    points_redeemed = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="daysales_merchant_day")]


class DayTakings(DayFigures):
    method = models.CharField(max_length=16)
    paid_fen = models.BigIntegerField(default=0)
    refunded_fen = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="daytakings_merchant_day")]


class DayCategory(DayFigures):
    category_id = models.BigIntegerField(null=True)
    sales_fen = models.BigIntegerField(default=0)
    qty = models.BigIntegerField(default=0)
    orders = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="daycategory_merchant_day")]


class DayLevel(DayFigures):
    walk_in = models.BooleanField(default=False)
    level_id = models.BigIntegerField(null=True)
    sales_fen = models.BigIntegerField(default=0)
    orders = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="daylevel_merchant_day")]
