"""Coupons (优惠券): templates, the coupons members hold, issue runs and gift packs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mendian.core.generation import SettingsManager, settings_model
from mendian.core.models import MerchantOwned, TimeStamped, ledger_merchant


@settings_model("merchant_id")
class CouponTemplate(MerchantOwned, TimeStamped):
    """What a coupon is worth, on what, where, when and how many (券模板). The counter reads templates on
    every sale, so they are settings: cached per merchant generation."""

    objects = SettingsManager()

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("Amount off over a threshold (满减)")
        PERCENT_OFF = "percent_off", _("Percent off (折扣)")
        VOUCHER = "voucher", _("Voucher (代金券)")
        ITEM = "item", _("Item coupon (商品券)")

    class ItemMode(models.TextChoices):
        FREE = "free", _("Free")
        PRICE = "price", _("At a set price")
        PERCENT = "percent", _("At a percent of the price")

    class CostBearer(models.TextChoices):
        HQ = "hq", _("Head office")
        STORE = "store", _("Store")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("amount off (fen)"), null=True, blank=True)
    # percent_off: the part paid, 80 = 8折; item coupons in percent mode: the same.
    percent = models.PositiveSmallIntegerField(_("percent paid"), null=True, blank=True)
    max_discount_fen = models.BigIntegerField(_("at most (fen)"), null=True, blank=True)
    min_spend_fen = models.BigIntegerField(_("minimum spend (fen)"), default=0)
    item_mode = models.CharField(_("item coupon gives"), max_length=8, choices=ItemMode.choices, blank=True)
    item_price_fen = models.BigIntegerField(_("item price (fen)"), null=True, blank=True)
    # Scope: ids of this merchant's products, categories and product groups; empty include = everything.
    include_product_ids = models.JSONField(default=list, blank=True)
    include_category_ids = models.JSONField(default=list, blank=True)
    include_group_ids = models.JSONField(default=list, blank=True)
    exclude_product_ids = models.JSONField(default=list, blank=True)
    exclude_category_ids = models.JSONField(default=list, blank=True)
    exclude_group_ids = models.JSONField(default=list, blank=True)
    store_ids = models.JSONField(default=list, blank=True)  # empty: every store
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid for days after issue"), null=True, blank=True)
    total_quantity = models.PositiveIntegerField(_("total quantity"), null=True, blank=True)
    per_member_limit = models.PositiveIntegerField(_("per member"), null=True, blank=True)
    stackable = models.BooleanField(_("combines with other coupons"), default=False)
    # Stackable coupons combine with stackable coupons of the same group only.
    stack_group = models.CharField(_("stacking group"), max_length=30, blank=True)
    at_counter = models.BooleanField(_("usable at the counter"), default=True)
    online = models.BooleanField(_("usable online"), default=True)
    claimable = models.BooleanField(_("in the claim centre"), default=False)
    cost_bearer = models.CharField(_("cost borne by"), max_length=8, choices=CostBearer.choices,
                                   default=CostBearer.HQ)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        indexes = [models.Index(fields=["merchant", "status"], name="coupontemplate_merchant_status")]

    def __str__(self) -> str:
        return self.name

    def value_text(self) -> str:
        """What the coupon gives, in the words of the counter: 满¥100减¥20, 8折, ¥10, one item free."""
        from mendian.core.money import format_fen

        if self.kind == self.Kind.PERCENT_OFF or (self.kind == self.Kind.ITEM and self.item_mode == "percent"):
            text = _("%(pct)s%% of the price") % {"pct": self.percent}
        elif self.kind == self.Kind.ITEM:
            text = _("one item free") if self.item_mode == "free" else \
                _("one item at %(price)s") % {"price": format_fen(self.item_price_fen or 0)}
        else:
            text = _("%(amount)s off") % {"amount": format_fen(self.amount_fen or 0)}
        if self.min_spend_fen:
            text = _("over %(min)s, %(rest)s") % {"min": format_fen(self.min_spend_fen), "rest": text}
        if self.max_discount_fen:
            text = _("%(rest)s, at most %(max)s") % {"rest": text, "max": format_fen(self.max_discount_fen)}
        return str(text)


class CouponStock(models.Model):
    """How many coupons of a template were issued: a row of its own, so that issuing does not touch
    the (cached) template. Equals the number of its coupons (``check_ledgers``)."""

    template = models.OneToOneField(CouponTemplate, on_delete=models.CASCADE, primary_key=True, related_name="stock")
    issued = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.template_id}: {self.issued}"


class GiftPack(MerchantOwned, TimeStamped):
    """Several coupons given together (礼包), e.g. a welcome pack."""

    name = models.CharField(_("name"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    def __str__(self) -> str:
        return self.name


class GiftPackItem(models.Model):
    pack = models.ForeignKey(GiftPack, on_delete=models.CASCADE, related_name="items")
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pack", "template"], name="giftpackitem_unique")]

    def __str__(self) -> str:
        return f"{self.template_id} × {self.quantity}"


class IssueRun(MerchantOwned):
    """One issue of a template or a gift pack to many members (派券), run in the background."""

    class Target(models.TextChoices):
        MEMBERS = "members", _("Chosen members")
        FILTER = "filter", _("A filter of the member list")
        SEGMENT = "segment", _("A segment")
        GIFT = "gift", _("A promotion's gift")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Issuing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="runs")
    gift_pack = models.ForeignKey(GiftPack, on_delete=models.PROTECT, null=True, blank=True, related_name="runs")
    target = models.CharField(max_length=10, choices=Target.choices)
    member_ids = models.JSONField(default=list, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    members_total = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    # Members left out and why: {"limit": n, "stock": n}
    skipped = models.JSONField(default=dict, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Runs of a promotion's gifts are found again by key (e.g. one birthday run per promotion and year).
    key = models.CharField(max_length=80, blank=True)
    promotion = models.ForeignKey("Promotion", on_delete=models.PROTECT, null=True, blank=True, related_name="runs")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="issuerun_key",
                                               condition=~Q(key=""))]

    def __str__(self) -> str:
        return f"issue run {self.pk}"


class Coupon(MerchantOwned):
    """A coupon a member holds. ``unused`` until a checkout uses it; "expired" is read from ``valid_until``."""

    merchant = ledger_merchant()

    class Status(models.TextChoices):
        UNUSED = "unused", _("Unused")
        USED = "used", _("Used")
        VOID = "void", _("Void")

    class Source(models.TextChoices):
        ISSUE = "issue", _("Issued")
        CLAIM = "claim", _("Claimed")
        GIFT = "gift", _("Gift")

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons", db_index=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="coupons", db_index=False)
    code = models.CharField(_("redeem code"), max_length=20)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.UNUSED)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ISSUE)
    issue_run = models.ForeignKey(IssueRun, on_delete=models.PROTECT, null=True, blank=True, related_name="coupons",
                                  db_index=False)
    copy_no = models.PositiveSmallIntegerField(default=1)
    issued_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey("pos.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    used_store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", db_index=False)
    used_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                db_index=False, db_constraint=False)
    discount_fen = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "member", "status"], name="coupon_member_status"),
            models.Index(fields=["merchant", "template", "status"], name="coupon_template_status"),
            models.Index(fields=["merchant", "order"], name="coupon_order", condition=Q(order__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="coupon_code_unique"),
            models.UniqueConstraint(fields=["issue_run", "member", "template", "copy_no"], name="coupon_once_per_run",
                                    condition=Q(issue_run__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.code


@settings_model("merchant_id")
class Promotion(MerchantOwned, TimeStamped):
    """An event promotion (营销活动), set up by head office, applied by the counter, recharge and sign-up."""

    objects = SettingsManager()

    class Kind(models.TextChoices):
        LIMITED_PRICE = "limited_price", _("Limited-time price (限时折扣)")
        NEW_CUSTOMER = "new_customer", _("New-customer price (新客专享)")
        MEMBER_DAY = "member_day", _("Member day or points day (会员日/积分日)")
        RECHARGE_BONUS = "recharge_bonus", _("Recharge bonus (充值送)")
        WELCOME_GIFT = "welcome_gift", _("Welcome gift (注册有礼)")
        FIRST_VISIT_GIFT = "first_visit_gift", _("First-visit gift (进店有礼)")
        BIRTHDAY_GIFT = "birthday_gift", _("Birthday gift (生日礼)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    class Repeat(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    # Prices (limited-time and new-customer): on these products, a fixed price or a percent of the price.
    product_ids = models.JSONField(default=list, blank=True)
    price_fen = models.BigIntegerField(_("price (fen)"), null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("percent of the price"), null=True, blank=True)
    per_member_qty = models.PositiveIntegerField(_("units per member"), null=True, blank=True)
    # Member and points days: which days, an extra discount on the level's and a points multiplier.
    repeat = models.CharField(_("repeats"), max_length=8, choices=Repeat.choices, blank=True)
    days = models.JSONField(default=list, blank=True)  # weekdays 1–7 (Monday 1) or days of the month 1–31
    extra_discount_pct = models.PositiveSmallIntegerField(_("extra discount (percent paid)"), null=True, blank=True)
    points_multiplier_pct = models.PositiveIntegerField(_("points multiplier (percent)"), null=True, blank=True)
    # Recharge bonus: an extra bonus of this percent of what is paid, from this amount up.
    bonus_pct = models.PositiveSmallIntegerField(_("extra bonus (percent of the recharge)"), null=True, blank=True)
    min_pay_fen = models.BigIntegerField(_("from a recharge of (fen)"), default=0)
    gift_pack = models.ForeignKey(GiftPack, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("gift pack"))
    # Head office's push to stores (总部统一活动一键下发): empty = every store.
    store_ids = models.JSONField(default=list, blank=True)
    stores_opt_in = models.BooleanField(_("stores must opt in"), default=False)
    # Within these limits a store may set its own percent (limited-time prices in percent).
    store_min_percent = models.PositiveSmallIntegerField(_("stores may go down to (percent)"), null=True, blank=True)
    store_max_percent = models.PositiveSmallIntegerField(_("stores may go up to (percent)"), null=True, blank=True)
    budget_fen = models.BigIntegerField(_("budget (fen)"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "kind", "status"], name="promotion_merchant_kind")]

    def __str__(self) -> str:
        return self.name


@settings_model("merchant_id")
class PromotionStore(MerchantOwned):
    """A store's answer to a promotion head office pushed: taking part, and its own percent if allowed."""

    objects = SettingsManager()

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="stores")
    store = models.ForeignKey("tenancy.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    enabled = models.BooleanField(default=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    changed_by = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["promotion", "store"], name="promotionstore_unique")]

    def __str__(self) -> str:
        return f"{self.promotion_id}@{self.store_id}"


class PromotionSpend(models.Model):
    """What a promotion has given away so far (its budget's counter; a row of its own, not a setting)."""

    promotion = models.OneToOneField(Promotion, on_delete=models.CASCADE, primary_key=True, related_name="spend")
    spent_fen = models.BigIntegerField(default=0)
    uses = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.promotion_id}: {self.spent_fen}"
