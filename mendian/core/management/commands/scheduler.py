"""Enqueue the daily jobs when they are due, every minute, until stopped (runs beside the worker)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from mendian.core.scheduling import enqueue_due, enqueue_periodic


class Command(BaseCommand):
    help = "Enqueue daily jobs (points expiry, birthday points, …) once per merchant-local day, and periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=int, default=60, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit (for cron)")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            close_old_connections()
            for job, merchant_id, day in enqueue_due():
                self.stdout.write(f"enqueued {job} for merchant {merchant_id} ({day})")
            for job in enqueue_periodic():
                self.stdout.write(f"enqueued {job}")
            if options["once"]:
                return
            time.sleep(options["interval"])
