"""Background tasks of coupons and promotions (run by ``manage.py db_worker``)."""

from __future__ import annotations

from datetime import date

from django_tasks import task


@task()
def coupon_issue_run(run_id: int) -> None:
    from .issuing import issue_run_execute

    issue_run_execute(run_id=run_id)


@task()
def birthday_gifts_daily(merchant_id: int, day: str) -> int:
    from mendian.tenancy.models import Merchant

    from .campaigns import birthday_gifts_due

    return birthday_gifts_due(merchant=Merchant.objects.get(pk=merchant_id), today=date.fromisoformat(day))
