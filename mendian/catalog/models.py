"""Goods and services sold in the stores (the counter issue adds store prices, groups and stock)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mendian.core.generation import SettingsManager, settings_m2m, settings_model
from mendian.core.models import MerchantOwned, TimeStamped


@settings_model("merchant_id")
class Category(MerchantOwned, TimeStamped):

    objects = SettingsManager()
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="category_merchant_name")]

    def __str__(self) -> str:
        return self.name


@settings_model("merchant_id")
class ProductGroup(MerchantOwned, TimeStamped):
    """A named set of products across categories (e.g. 新品, 不参与折扣), used by coupon scopes."""

    objects = SettingsManager()

    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="productgroup_merchant_name")]

    def __str__(self) -> str:
        return self.name


@settings_model("merchant_id")
class Product(MerchantOwned, TimeStamped):
    """A product (商品) or service (服务), created at HQ."""

    objects = SettingsManager()

    class Kind(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")
        CARD = "card", _("Card (sold as a card template)")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.GOODS)
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True,
                                 verbose_name=_("category"))
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    price_fen = models.BigIntegerField(_("price (fen)"))
    member_price_fen = models.BigIntegerField(_("member price (fen)"), null=True, blank=True)
    cost_fen = models.BigIntegerField(_("cost (fen)"), null=True, blank=True)
    duration_min = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    buffer_min = models.PositiveIntegerField(_("buffer after (minutes)"), default=0)
    level_discount = models.BooleanField(_("level discounts apply"), default=True)
    all_stores = models.BooleanField(_("sold in every store"), default=True,
                                     help_text=_("Otherwise only in the stores it is linked to."))
    track_stock = models.BooleanField(_("track stock"), default=False)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock alert at"), null=True, blank=True)
    groups = models.ManyToManyField(ProductGroup, blank=True, related_name="products", verbose_name=_("groups"))
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["merchant", "is_active", "name"], name="product_merchant_active")]
        constraints = [
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(member_price_fen__isnull=True) | Q(member_price_fen__gte=0),
                                   name="product_member_price_not_negative"),
            models.CheckConstraint(condition=Q(cost_fen__isnull=True) | Q(cost_fen__gte=0),
                                   name="product_cost_not_negative"),
            models.UniqueConstraint(fields=["merchant", "barcode"], condition=~Q(barcode=""),
                                    name="product_merchant_barcode"),
        ]

    def __str__(self) -> str:
        return self.name


@settings_model("merchant_id")
class StoreProduct(MerchantOwned, TimeStamped):
    """A product linked to a store (门店关联): its store price and whether the store sells it."""

    objects = SettingsManager()

    store = models.ForeignKey("tenancy.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="store_links")
    price_fen = models.BigIntegerField(_("store price (fen)"), null=True, blank=True)
    is_available = models.BooleanField(_("sold here"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="storeproduct_unique"),
            models.CheckConstraint(condition=Q(price_fen__isnull=True) | Q(price_fen__gte=0),
                                   name="storeproduct_price_not_negative"),
        ]
        indexes = [models.Index(fields=["merchant", "store"], name="storeproduct_merchant_store")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.store_id}"


class StockLevel(MerchantOwned):
    """A product's stock in a store; changes only with a ``StockEntry``, never below zero."""

    store = models.ForeignKey("tenancy.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels")
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="stocklevel_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stocklevel_not_negative"),
        ]
        indexes = [models.Index(fields=["merchant", "store"], name="stocklevel_merchant_store")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.store_id}: {self.quantity}"


class StockEntry(MerchantOwned):
    """One change of a store's stock of a product (append-only)."""

    class Reason(models.TextChoices):
        STOCK_IN = "stock_in", _("Stock in")
        ADJUST = "adjust", _("Adjustment")
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")

    level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="entries")
    store = models.ForeignKey("tenancy.Store", on_delete=models.PROTECT, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    delta = models.BigIntegerField()
    quantity_after = models.BigIntegerField()
    reason = models.CharField(max_length=10, choices=Reason.choices)
    ref_type = models.CharField(max_length=30, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    staff = models.ForeignKey("tenancy.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              db_index=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["merchant", "store", "product", "-id"], name="stockentry_store_product")]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.product_id}@{self.store_id}"


settings_m2m(Product.groups.through, lambda row: row.merchant_id)
