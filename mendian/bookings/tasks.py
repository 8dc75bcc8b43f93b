"""Scheduled reminders (run by ``manage.py db_worker``; enqueued by ``manage.py scheduler``)."""

from __future__ import annotations

from datetime import date, datetime

from django_tasks import task


@task()
def booking_reminders_daily(merchant_id: int, day: str) -> int:
    from mendian.tenancy.models import Merchant

    from .services.reminders import plan_reminders, reminders_day_before

    merchant = Merchant.objects.get(pk=merchant_id)
    today = date.fromisoformat(day)
    return reminders_day_before(merchant=merchant, today=today) + plan_reminders(merchant=merchant, today=today)


@task()
def booking_reminders_soon(now: str) -> int:
    from .services.reminders import reminders_two_hours

    return reminders_two_hours(now=datetime.fromisoformat(now))
