"""The settings cache is never stale: every kind of change of a settings row reaches the next request."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mendian.catalog.models import Product
from mendian.core.generation import generation
from mendian.core.testing.api import error_code
from mendian.loyalty.models import Level, LoyaltyAccount
from mendian.members.testing import make_member
from mendian.pos.testing import make_product
from mendian.tenancy.models import ApiToken, Staff


def quote(client, world, product, member=None):
    body = {"store_id": world.stores[0].pk, "lines": [{"product_id": product.pk, "qty": 1}]}
    if member is not None:
        body["member_id"] = member.pk
    response = client.post("/orders/quote", body)
    assert response.status_code == 200, response.data
    return response.data["payable_fen"]


def warm(client, world, product, member=None):
    """Two quotes: the first teaches the token's merchant, the second fills every cache entry."""
    quote(client, world, product, member)
    return quote(client, world, product, member)


def test_warm_quotes_read_no_settings_rows(world):
    product = make_product(world, price_fen=1000)
    client = world.api()
    warm(client, world, product)
    with CaptureQueriesContext(connection) as captured:
        assert quote(client, world, product) == 1000
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    for table in ("tenancy_apitoken", "tenancy_store", "catalog_product", "loyalty_level", "loyalty_pointsrule"):
        assert table not in tables


def test_price_changes_reach_the_next_quote_whichever_way_they_are_made(world):
    product = make_product(world, price_fen=1000)
    client = world.api()
    assert warm(client, world, product) == 1000
    assert client.patch(f"/products/{product.pk}", {"price_fen": 1200}).status_code == 200
    assert quote(client, world, product) == 1200
    assert client.put(f"/stores/{world.stores[0].pk}/prices/{product.pk}", {"price_fen": 900}).status_code == 200
    assert quote(client, world, product) == 900
    Product.objects.filter(pk=product.pk).update(is_active=False)  # a bulk update, no signal
    refused = client.post("/orders/quote", {"store_id": world.stores[0].pk,
                                            "lines": [{"product_id": product.pk, "qty": 1}]})
    assert error_code(refused) == "product_inactive"


def test_level_discount_changes_reach_the_next_quote(world):
    gold = Level.objects.create(merchant=world.merchant, name="金卡", rank=1, discount_pct=90)
    member = make_member(world)
    LoyaltyAccount.objects.filter(member=member).update(level=gold)
    product = make_product(world, price_fen=1000)
    client = world.api()
    assert warm(client, world, product, member) == 900
    assert client.patch(f"/levels/{gold.pk}", {"discount_pct": 80}).status_code == 200
    assert quote(client, world, product, member) == 800


def test_a_cached_token_stops_working_the_moment_it_is_revoked_or_its_staff_is_deactivated(world):
    product = make_product(world, price_fen=1000)
    cashier = world.staff("cashier")
    client = world.api(cashier)
    warm(client, world, product)
    token = ApiToken.objects.filter(staff=cashier).latest("id")
    assert world.api().post(f"/api-tokens/{token.pk}/revoke").status_code == 200
    assert error_code(client.post("/orders/quote", {"store_id": world.stores[0].pk, "lines": []})) == "token_revoked"

    other = world.api(cashier)
    warm(other, world, product)
    Staff.objects.filter(pk=cashier.pk).update(is_active=False)
    assert error_code(other.post("/orders/quote", {"store_id": world.stores[0].pk, "lines": []})) == "token_invalid"


def test_store_bound_staff_see_store_changes_at_once(world):
    product = make_product(world, price_fen=1000)
    manager = world.staff("store_manager", stores=[world.stores[0]])
    client = world.api(manager)
    warm(client, world, product)
    elsewhere = {"store_id": world.stores[1].pk, "lines": [{"product_id": product.pk, "qty": 1}]}
    assert client.post("/orders/quote", elsewhere).status_code == 404
    manager.stores.add(world.stores[1])  # a many-to-many change
    assert client.post("/orders/quote", elsewhere).status_code == 200


def test_bookkeeping_saves_keep_the_generation_and_settings_saves_change_it(world):
    before = generation(world.merchant.pk)
    world.owner.save(update_fields=["last_login"])
    assert generation(world.merchant.pk) == before
    world.stores[0].save()
    assert generation(world.merchant.pk) != before
