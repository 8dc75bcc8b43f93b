"""Create a merchant with its owner (and optionally a first store); prints their ids."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mendian.core.errors import DomainError
from mendian.tenancy.services.merchants import merchant_create


class Command(BaseCommand):
    help = "Create a merchant (brand/HQ) with an owner account and, with --store, a first store."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="merchant (brand) name")
        parser.add_argument("--owner-username", required=True)
        parser.add_argument("--owner-password", required=True)
        parser.add_argument("--owner-name", default="")
        parser.add_argument("--store", default=None, help="name of a first store (code S001)")
        parser.add_argument("--city", default="")
        parser.add_argument("--timezone", default="Asia/Shanghai")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = merchant_create(
                name=options["name"], owner_username=options["owner_username"],
                owner_password=options["owner_password"], owner_name=options["owner_name"],
                store_name=options["store"], store_city=options["city"], timezone_name=options["timezone"],
            )
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        self.stdout.write(f"merchant_id={created.merchant.pk}")
        self.stdout.write(f"owner_id={created.owner.pk}")
        if created.store is not None:
            self.stdout.write(f"store_id={created.store.pk}")
