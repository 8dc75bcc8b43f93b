"""Proof that coupon stock equals the coupons issued (``manage.py check_ledgers``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import BigIntegerField, Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Coupon, CouponStock


def coupon_stock_differences(merchant_id: int | None = None) -> Iterator[str]:
    stocks = CouponStock.objects.all()
    if merchant_id:
        stocks = stocks.filter(template__merchant_id=merchant_id)
    counted = (Coupon.objects.filter(template=OuterRef("pk")).order_by().values("template")
               .annotate(n=Count("id")).values("n"))
    stocks = stocks.annotate(coupons=Coalesce(Subquery(counted, output_field=BigIntegerField()), Value(0)))
    for stock in stocks.exclude(issued=F("coupons")).iterator(2000):
        yield f"coupon template {stock.template_id}: stock says {stock.issued} issued, {stock.coupons} coupons exist"


LEDGER_CHECKS = (coupon_stock_differences,)
