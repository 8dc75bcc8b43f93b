"""Load the demo chain (deterministic; every app adds its part). Does nothing if it is already loaded."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mendian.core.seeding import SeedContext, run_seeders
from mendian.tenancy.models import Merchant
from mendian.tenancy.seed import DEMO_OWNER, DEMO_PASSWORD, demo_loaded


class Command(BaseCommand):
    help = "Create the demo merchant (3 stores in 2 cities, one account per role) and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="only when the database has no merchant at all (used by 'make run')")
        parser.add_argument("--members", type=int, default=None,
                            help="how many members (default 2,000 with a year of history; from 5,000 on, "
                                 "bulk inserts with opening balances)")
        parser.add_argument("--orders", type=int, default=None,
                            help="how many orders of history over the last year, written in bulk (default 20,000 "
                                 "with the default members, none in scale mode)")

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_loaded():
            self.stdout.write(f"Demo data already loaded. Log in as {DEMO_OWNER} / {DEMO_PASSWORD}")
            return
        if options["if_empty"] and Merchant.objects.exists():
            self.stdout.write("This database has merchants of its own; demo data not loaded.")
            return
        started = time.monotonic()
        for name in ("members", "orders"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name} must not be negative")
        ctx = SeedContext(write=self.stdout.write, members=options["members"], orders=options["orders"])
        with transaction.atomic():
            run_seeders(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo chain loaded in {time.monotonic() - started:.1f} s."))
        self.stdout.write(f"Log in with any of these (password for all: {DEMO_PASSWORD}):")
        for role, username, _password in ctx.logins:
            self.stdout.write(f"  {role:<14} {username}")
