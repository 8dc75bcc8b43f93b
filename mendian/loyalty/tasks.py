"""Daily points jobs, enqueued by the scheduler once per merchant-local day."""

from __future__ import annotations

from datetime import date

from django_tasks import task


@task()
def points_expire_daily(merchant_id: int, day: str) -> int:
    from mendian.tenancy.models import Merchant

    from .services import points_expire_due

    return points_expire_due(merchant=Merchant.objects.get(pk=merchant_id), today=date.fromisoformat(day))


@task()
def birthday_points_daily(merchant_id: int, day: str) -> int:
    from mendian.tenancy.models import Merchant

    from .services import points_award_birthdays

    return points_award_birthdays(merchant=Merchant.objects.get(pk=merchant_id), today=date.fromisoformat(day))
