from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connection

from mendian.tenancy.testing import MerchantWorld, make_world


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in vendor:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _allow_sync_orm_in_playwright(request: pytest.FixtureRequest) -> Iterator[None]:
    """Browser tests: Playwright runs an event loop in the test's thread, while the test body's ORM calls
    stay synchronous."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (database ids can come back after a rolled-back test)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db: None) -> MerchantWorld:
    """Merchant A: owner, two stores (杭州, 上海), built-in roles."""
    return make_world("甲")


@pytest.fixture
def other_world(db: None) -> MerchantWorld:
    """Merchant B, for isolation checks."""
    return make_world("乙")


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
