"""Daily jobs per merchant (points expiry, birthday points, …), each exactly once per local day.

Apps register ``(name, task, hour)``; ``enqueue_due`` enqueues every job whose local hour has come for
each active merchant and has not been enqueued for that merchant's day (a unique row claims it, so two
schedulers never enqueue it twice). ``manage.py scheduler`` calls it every minute; ``manage.py
run_daily`` once (for cron).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DailyRun


@dataclass(frozen=True)
class DailyJob:
    name: str
    task: Any  # a django-tasks Task taking (merchant_id: int, day: "YYYY-MM-DD")
    hour: int = 2


_JOBS: dict[str, DailyJob] = {}


def register_daily(job: DailyJob) -> None:
    _JOBS[job.name] = job


def daily_jobs() -> list[DailyJob]:
    return list(_JOBS.values())


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Any  # a django-tasks Task taking (now: ISO 8601 datetime)
    every_minutes: int = 5


_PERIODIC: dict[str, PeriodicJob] = {}


def register_periodic(job: PeriodicJob) -> None:
    _PERIODIC[job.name] = job


def enqueue_periodic(*, now: datetime | None = None) -> list[str]:
    """Enqueue each periodic job once per its interval; returns the names enqueued."""
    from django.core.cache import cache

    now = now or timezone.now()
    enqueued = []
    for job in _PERIODIC.values():
        interval = job.every_minutes * 60
        slot = int(now.timestamp()) // interval
        if cache.add(f"periodic:{job.name}:{slot}", 1, timeout=interval * 2):
            job.task.enqueue(now.isoformat())
            enqueued.append(job.name)
    return enqueued


def enqueue_due(*, now: datetime | None = None) -> list[tuple[str, int, str]]:
    """Enqueue the jobs that are due; returns what was enqueued as (job, merchant id, day)."""
    from mendian.tenancy.models import Merchant

    now = now or timezone.now()
    enqueued = []
    for merchant in Merchant.objects.filter(status=Merchant.Status.ACTIVE).only("id", "timezone"):
        local = now.astimezone(ZoneInfo(merchant.timezone))
        for job in _JOBS.values():
            if local.hour < job.hour:
                continue
            try:
                with transaction.atomic():
                    DailyRun.objects.create(job=job.name, merchant_id=merchant.pk, day=local.date())
                    job.task.enqueue(merchant.pk, local.date().isoformat())
            except IntegrityError:
                continue
            enqueued.append((job.name, merchant.pk, local.date().isoformat()))
    return enqueued
