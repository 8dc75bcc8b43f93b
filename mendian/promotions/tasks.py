"""Background tasks of coupons (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def coupon_issue_run(run_id: int) -> None:
    from .issuing import issue_run_execute

    issue_run_execute(run_id=run_id)
