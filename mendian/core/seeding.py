"""The demo data set, built by each app's ``seed.py`` in dependency order.

``python manage.py seed_demo`` makes a ``SeedContext`` and calls ``seed(ctx)`` of every Mendian app
that has a ``seed`` module, in the order of their ``ORDER``. Apps read what earlier apps made from
``ctx.data`` and add their own. Scale options (members, orders) are carried in the context for the
apps that build those rows with bulk inserts. A fixed random seed makes every run identical.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

DEMO_SEED = 20261128


@dataclass
class SeedContext:
    write: Callable[[str], None]
    members: int | None = None
    orders: int | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(DEMO_SEED))
    data: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, password)


def seed_modules() -> list[Any]:
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("mendian."):
            continue
        try:
            modules.append(importlib.import_module(f"{config.name}.seed"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.seed":
                raise
    return modules


def run_seeders(ctx: SeedContext) -> None:
    """Each app's ``seed(ctx)`` in the order its module's ``ORDER`` gives (what others build on first)."""
    for module in sorted(seed_modules(), key=lambda m: getattr(m, "ORDER", 50)):
        module.seed(ctx)
