"""Goods and services sold in the stores (the counter issue adds store prices, groups and stock)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mendian.core.models import MerchantOwned, TimeStamped


class Category(MerchantOwned, TimeStamped):
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="category_merchant_name")]

    def __str__(self) -> str:
        return self.name


class Product(MerchantOwned, TimeStamped):
    """A product (商品) or service (服务), created at HQ."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")

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
