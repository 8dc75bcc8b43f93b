"""Verify every balance against its ledger; exit non-zero on any difference.

Each app that keeps ledgers lists its checks in ``LEDGER_CHECKS`` of its ``reconcile`` module.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser


def ledger_checks() -> list[Any]:
    checks = []
    for config in apps.get_app_configs():
        if not config.name.startswith("mendian."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.reconcile")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.reconcile":
                raise
            continue
        checks.extend(getattr(module, "LEDGER_CHECKS", ()))
    return checks


class Command(BaseCommand):
    help = "Check that every points, stored-value and other ledger balance equals the sum of its entries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--merchant", type=int, default=None, help="only this merchant id")

    def handle(self, *args: Any, **options: Any) -> None:
        differences = 0
        for check in ledger_checks():
            for line in check(options["merchant"]):
                differences += 1
                self.stdout.write(self.style.ERROR(line))
        if differences:
            raise CommandError(f"{differences} ledger differences")
        self.stdout.write(self.style.SUCCESS(f"Ledgers balance ({len(ledger_checks())} checks)."))
