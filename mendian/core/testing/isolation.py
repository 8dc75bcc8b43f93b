"""The tenancy isolation sweep's registry: each app's ``tests/isolation.py`` says how to reach its routes.

The sweep itself is ``mendian/tenancy/tests/test_isolation.py``: it walks every API route and page
and checks that merchant B never reaches merchant A's objects (404, never A's data) and that
store-bound roles never reach another store's objects.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class Param:
    own: Callable[[Any], int]
    in_other_store: Callable[[Any], int] | None = None


def collect() -> tuple[dict[str, Param], dict[str, Callable], dict[str, Callable], dict[str, str]]:
    params: dict[str, Param] = {}
    queries: dict[str, str] = {}
    bodies: dict[str, Callable] = {}
    references: dict[str, Callable] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("mendian."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.isolation")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{config.name}.tests.isolation", f"{config.name}.tests"):
                raise
            continue
        params.update(getattr(module, "PARAMS", {}))
        bodies.update(getattr(module, "BODIES", {}))
        references.update(getattr(module, "REFERENCES", {}))
        queries.update(getattr(module, "QUERIES", {}))
    return params, bodies, references, queries
