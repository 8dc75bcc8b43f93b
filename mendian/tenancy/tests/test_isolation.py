"""The isolation sweep: every API route and every page, walked as another merchant and as store-bound roles.

Merchant A's objects are reached by the ids the apps' ``tests/isolation.py`` registries produce.
Merchant B's owner must get 404 (never 403, never A's data); A's store-bound staff must get 404 for
objects of a store that is not theirs and must never see that store's data in a list. Each check is
paired with the same call by A's owner, which must not be 404 — proof that the route, ids and body
were right and the 404 came from the isolation, not from a mistake in the test.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from mendian.config.api import api
from mendian.core.testing.isolation import collect
from mendian.tenancy.services.tokens import token_issue_login
from mendian.tenancy.testing import make_world

PARAMS, BODIES, REFERENCES, QUERIES = collect()
METHODS = ("get", "post", "put", "patch", "delete")
_PARAM = re.compile(r"{(\w+)}")


def _api_routes() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted((method.upper(), path) for path, item in schema["paths"].items() for method in item
                  if method in METHODS)


API_ROUTES = _api_routes()
PARAM_ROUTES = [(m, p) for m, p in API_ROUTES if _PARAM.search(p)]
LIST_ROUTES = [(m, p) for m, p in API_ROUTES if m == "GET" and not _PARAM.search(p)]


@pytest.fixture
def pair(db):
    a = make_world("ZZSECRETA")
    b = make_world("乙")
    return a, b


def _secrets(world) -> list[str]:
    from mendian.tenancy.models import Staff

    names = [world.merchant.name, *(s.name for s in world.stores)]
    names += list(Staff.objects.filter(merchant=world.merchant).values_list("username", flat=True))
    return names


def _call(token: str, method: str, path: str, body=None):
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return getattr(client, method.lower())(path, headers=headers)
    return getattr(client, method.lower())(path, data=json.dumps(body), content_type="application/json",
                                           headers=headers)


def _token(staff) -> str:
    raw, _ = token_issue_login(staff=staff)
    return raw


def _fill(path: str, world, *, other_store: bool = False) -> str | None:
    values = {}
    for name in _PARAM.findall(path):
        assert name in PARAMS, f"{path}: register '{name}' in the app's tests/isolation.py PARAMS"
        factory = PARAMS[name].in_other_store if other_store else PARAMS[name].own
        if factory is None:
            return None
        values[name] = factory(world)
    return _PARAM.sub(lambda m: str(values[m.group(1)]), path)


def _body(method: str, path: str, world):
    key = f"{method} {path}"
    if key in BODIES:
        return BODIES[key](world)
    return {} if method in ("POST", "PUT", "PATCH") else None


def _assert_no_leak(response, secrets: list[str], where: str) -> None:
    content = response.content.decode("utf-8", "replace")
    leaked = [s for s in secrets if s and s in content]
    assert not leaked, f"{where} shows {leaked}"


@pytest.mark.parametrize(("method", "path"), PARAM_ROUTES, ids=[f"{m} {p}" for m, p in PARAM_ROUTES])
def test_api_route_refuses_another_merchants_objects(pair, method, path):
    a, b = pair
    url = _fill(path, a)
    body = _body(method, path, a)
    response = _call(_token(b.owner), method, url, body)
    assert response.status_code == 404, f"{method} {url} as merchant B: {response.status_code} {response.content!r}"
    assert json.loads(response.content)["error"]["code"]
    _assert_no_leak(response, _secrets(a), f"{method} {url} as B")
    own = _call(_token(a.owner), method, url, body)
    assert own.status_code not in (404, 422) and own.status_code < 500, \
        f"{method} {url} as A's owner: {own.status_code} {own.content!r} (fix the registry, not the route)"


@pytest.mark.parametrize(("method", "path"), PARAM_ROUTES, ids=[f"{m} {p}" for m, p in PARAM_ROUTES])
@pytest.mark.parametrize("role", ["store_manager", "cashier"])
def test_api_route_keeps_store_bound_roles_in_their_stores(pair, method, path, role):
    a, _b = pair
    url = _fill(path, a, other_store=True)
    if url is None:
        pytest.skip("not tied to a store")
    staff = a.staff(role, stores=[a.stores[0]])
    response = _call(_token(staff), method, url, _body(method, path, a))
    assert response.status_code == 404, f"{method} {url} as {role} of another store: {response.status_code}"
    _assert_no_leak(response, [a.stores[1].name], f"{method} {url} as {role}")


def _populate(world) -> None:
    """One object of every registered kind, so lists have something to leak."""
    for param in PARAMS.values():
        param.own(world)
        if param.in_other_store:
            param.in_other_store(world)


def _query(method: str, path: str, world) -> str:
    """A list's query string; a callable builds it from the caller's own world (ids its query needs)."""
    query = QUERIES.get(f"{method} {path}", "")
    return query(world) if callable(query) else query


@pytest.mark.parametrize(("method", "path"), LIST_ROUTES, ids=[p for _m, p in LIST_ROUTES])
def test_api_lists_never_show_another_merchants_or_stores_data(pair, method, path):
    a, b = pair
    _populate(a)
    response = _call(_token(b.owner), method, path + _query(method, path, b))
    assert response.status_code in (200, 403), f"{path} as B: {response.status_code}"
    _assert_no_leak(response, _secrets(a), f"{path} as B")
    for role in ("store_manager", "cashier"):
        staff = a.staff(role, stores=[a.stores[0]])
        scoped = _call(_token(staff), method, path + _query(method, path, a))
        assert scoped.status_code in (200, 403)
        _assert_no_leak(scoped, [a.stores[1].name], f"{path} as {role}")


@pytest.mark.parametrize("key", sorted(REFERENCES))
def test_api_bodies_cannot_name_another_merchants_objects(pair, key):
    a, b = pair
    method, path = key.split(" ", 1)
    response = _call(_token(b.owner), method, path, REFERENCES[key](a))
    assert response.status_code == 404, f"{key} as B naming A's objects: {response.status_code}"
    own = _call(_token(a.owner), method, path, REFERENCES[key](a))
    assert own.status_code < 300, f"{key} as A: {own.status_code} {own.content!r}"


def test_every_api_route_is_covered():
    """Routes with parameters need registered ids; writes need api_write (transaction + idempotency)."""
    for _method, path in PARAM_ROUTES:
        for name in _PARAM.findall(path):
            assert name in PARAMS, f"{path}: register '{name}' in tests/isolation.py"
    schema_paths = {(m, p) for m, p in API_ROUTES}
    for key in list(BODIES) + list(REFERENCES):
        method, path = key.split(" ", 1)
        assert (method, path) in schema_paths, f"stale isolation registry entry {key}"


# Log-in must not roll back on a wrong password: the failure counts towards the lock-out.
NOT_ATOMIC = {"/api/v1/auth/token"}


def test_every_api_write_runs_in_api_write():
    unwrapped = []
    for router_prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if not set(operation.methods) - {"GET", "HEAD", "OPTIONS"}:
                    continue
                full = "/api/v1" + (router_prefix.rstrip("/") + "/" + path.lstrip("/")).replace("//", "/")
                decorators = getattr(operation, "_run_decorators", [])
                if full not in NOT_ATOMIC and not any(getattr(d, "__name__", "") == "api_write" for d in decorators):
                    unwrapped.append(f"{operation.methods} {full}")
    assert not unwrapped, f"writes without @decorate_view(api_write): {unwrapped}"


# --- pages ------------------------------------------------------------------------------------
# Not staff pages: the platform admin, the API (swept above), and the member's own pages (portal).
_SKIPPED_PAGE_PREFIXES = ("platform-admin/", "api/", "i18n/", "jsi18n/", "join/", "m/", "static/")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _page_patterns() -> list[str]:
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    return sorted({r for r in routes if not r.startswith(_SKIPPED_PAGE_PREFIXES) and not r.startswith("^")})


PAGES = _page_patterns()
PARAM_PAGES = [p for p in PAGES if _CONVERTER.search(p) and "<slug:step>" not in p]
PLAIN_PAGES = [p for p in PAGES if not _CONVERTER.search(p) and p not in ("logout/",)]


def _fill_page(route: str, world, *, other_store: bool = False) -> str | None:
    values = {}
    for _converter, name in _CONVERTER.findall(route):
        assert name in PARAMS, f"page {route}: register '{name}' in tests/isolation.py PARAMS"
        factory = PARAMS[name].in_other_store if other_store else PARAMS[name].own
        if factory is None:
            return None
        values[name] = factory(world)
    return "/" + _CONVERTER.sub(lambda m: str(values[m.group(2)]), route)


def _page_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _page_status(client: Client, url: str) -> int:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response.status_code


@pytest.mark.parametrize("route", PARAM_PAGES)
def test_page_refuses_another_merchants_objects(pair, route):
    a, b = pair
    url = _fill_page(route, a)
    assert _page_status(_page_client(b.owner), url) == 404, f"{url} as merchant B"
    assert _page_status(_page_client(a.owner), url) not in (404, 500), f"{url} as A's owner"


@pytest.mark.parametrize("route", PARAM_PAGES)
def test_page_keeps_store_bound_roles_in_their_stores(pair, route):
    a, _b = pair
    url = _fill_page(route, a, other_store=True)
    if url is None:
        pytest.skip("not tied to a store")
    manager = a.staff("store_manager", stores=[a.stores[0]])
    assert _page_status(_page_client(manager), url) == 404, f"{url} as another store's manager"


@pytest.mark.parametrize("route", PLAIN_PAGES)
def test_pages_never_show_another_merchants_or_stores_data(pair, route):
    a, b = pair
    _populate(a)
    url = "/" + route
    response = _page_client(b.owner).get(url, follow=True)
    assert response.status_code in (200, 403, 405), f"{url} as B: {response.status_code}"
    _assert_no_leak(response, _secrets(a), f"page {url} as B")
    manager = a.staff("store_manager", stores=[a.stores[0]])
    scoped = _page_client(manager).get(url, follow=True)
    assert scoped.status_code in (200, 403, 405)
    _assert_no_leak(scoped, [a.stores[1].name], f"page {url} as a store manager")
