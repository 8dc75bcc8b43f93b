"""The members' facts answer exactly what the orders answer: closed days stored, today and late
refunds added live, on generated data with local-day edges."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mendian.analytics.conditions import Scope, matching_members, parse
from mendian.analytics.facts import WINDOWS, current_facts, facts_build
from mendian.analytics.models import MemberFacts, RollupState
from mendian.analytics.reports import Period, _active_and_repeat
from mendian.analytics.rollups import rollup_forget
from mendian.catalog.models import Category, Product
from mendian.members.testing import make_member
from mendian.pos.models import Order
from mendian.pos.services.context import CartLineRequest
from mendian.pos.testing import make_product

from .helpers import order_at, refund_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI)  # the questions are asked at 15:00 local
TODAY = NOW.replace(hour=0)
BUILT = NOW.replace(hour=3)  # the nightly build ran at 03:00


@pytest.fixture
def history(world):
    """Ten members' orders over 400 days; refunds before the build, after it (today) and of today's
    orders; orders at the very edges of local days and of the windows."""
    rng = random.Random(11)
    hair, care = (Category.objects.create(merchant=world.merchant, name=n) for n in ("美发", "护理"))
    world.products = [make_product(world, name="剪发", kind="service", price_fen=5000, category=hair),
                      make_product(world, name="烫发", kind="service", price_fen=30000, category=hair),
                      make_product(world, name="护理", kind="service", price_fen=12000, category=care)]
    world.hair, world.care = hair, care
    members = [make_member(world, name=f"会员{i}") for i in range(10)]
    world.members = members
    orders = []
    # the first moment and the last of the windows' first days, and of today
    edges = [TODAY - timedelta(days=n - 1) for n in WINDOWS] + \
            [TODAY - timedelta(days=n - 1) - timedelta(seconds=1) for n in WINDOWS]
    for i in range(110):
        member = members[int(rng.paretovariate(1.2)) % len(members)] if i % 9 else None
        when = edges[i] if i < len(edges) else TODAY - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1439))
        lines = [(p, rng.choice((1, 2))) for p in rng.sample(world.products, rng.choice((1, 1, 2)))]
        orders.append(order_at(world, when, member=member, lines=lines))
    # refunds made before the build: in full, or one line
    for order in rng.sample(orders, 14):
        refund_at(world, order, min(order.created_at + timedelta(days=rng.randint(0, 5)), BUILT - timedelta(hours=2)),
                  lines=[CartLineRequest(order.lines.first().product_id, 1)] if rng.random() < 0.5 else None)
    once = order_at(world, TODAY - timedelta(days=20), member=make_member(world, name="退款会员"),
                    lines=[(world.products[2], 1)])
    assert facts_build(merchant=world.merchant, now=BUILT) == \
        Order.objects.filter(created_at__gte=TODAY - timedelta(days=364), created_at__lt=TODAY,
                             member__isnull=False).values("member_id").distinct().count()
    # after the build: refunds of older orders (one made within the hour before the build), today's orders
    late = [o for o in orders if o.member_id and not Order.objects.get(pk=o.pk).refunded_fen][:4]
    refund_at(world, late[0], BUILT - timedelta(minutes=30))
    refund_at(world, late[1], NOW - timedelta(hours=1))
    refund_at(world, late[2], NOW - timedelta(minutes=5), lines=[CartLineRequest(late[2].lines.first().product_id, 1)])
    # the only purchase of a member (20 days ago, 护理) refunded in full today, after the build
    refund_at(world, once, NOW - timedelta(minutes=1))
    # live members without stored facts: a new member buying twice today; a member whose only order,
    # 400 days ago, is refunded in part today
    newcomer = make_member(world, name="新会员")
    for hours in (2, 5):
        order_at(world, TODAY + timedelta(hours=hours), member=newcomer, lines=[(world.products[1], 1)])
    old = order_at(world, TODAY - timedelta(days=400), member=make_member(world, name="老会员"),
                   lines=[(world.products[0], 2), (world.products[2], 1)])
    refund_at(world, old, NOW - timedelta(minutes=2), lines=[CartLineRequest(world.products[0].pk, 1)])
    for i in range(8):
        when = TODAY + timedelta(hours=1 + i) if i < 7 else TODAY  # 00:00:00 today is today
        order = order_at(world, when, member=members[i % 5 + 3], lines=[(world.products[i % 3], 1)])
        if i == 2:
            refund_at(world, order, when + timedelta(minutes=20))
    return world


def members_of(world, definition, *, facts: bool) -> list[int]:
    scope = Scope(merchant_id=world.merchant.pk, tz_name="Asia/Shanghai", now=NOW, use_facts=facts)
    query = matching_members(parse(definition, merchant_id=world.merchant.pk), scope)
    return sorted(query.values_list("pk", flat=True)), str(query.query)


def definitions(world):
    for days in (*WINDOWS, 45):
        for op, value in (("gte", 1), ("gte", 2), ("lt", 2), ("eq", 0), ("eq", 1), ("ne", 1), ("in", [1, 3]),
                          ("gt", 0), ("lte", 3)):
            yield {"match": "all", "conditions": [{"field": "orders_in_days", "op": op, "value": value, "days": days}]}
        for op, value in (("gte", 30000), ("lt", 10000), ("eq", 0), ("ne", 5000), ("gt", 0), ("in", [5000, 12000])):
            yield {"match": "all", "conditions": [{"field": "spend_fen_in_days", "op": op, "value": value,
                                                   "days": days}]}
        for field, ids in (("bought_category_id", [world.hair.pk, world.care.pk]),
                           ("bought_product_id", [p.pk for p in world.products])):
            for op, value in (("eq", ids[0]), ("ne", ids[-1]), ("in", ids[:2])):
                yield {"match": "all", "conditions": [{"field": field, "op": op, "value": value, "days": days}]}
    # several figures in one "all" group are asked of the facts together: zero passing all, some or none
    figures = [("orders_in_days", "lt", 2, 30), ("orders_in_days", "gte", 1, 90),
               ("spend_fen_in_days", "lt", 10000, 7), ("spend_fen_in_days", "gte", 5000, 365),
               ("orders_in_days", "eq", 0, 14), ("spend_fen_in_days", "ne", 0, 60)]
    for i, first in enumerate(figures):
        for second in figures[i + 1:]:
            yield {"match": "all", "conditions": [{"field": f, "op": op, "value": v, "days": d}
                                                  for f, op, v, d in (first, second)]}
    yield {"match": "any", "conditions": [
        {"field": "spend_fen_in_days", "op": "gte", "value": 30000, "days": 90},
        {"match": "all", "conditions": [{"field": "orders_in_days", "op": "gte", "value": 2, "days": 30},
                                        {"field": "bought_category_id", "op": "eq", "value": world.hair.pk,
                                         "days": 180}]}]}


def test_every_condition_on_the_facts_matches_the_orders_exactly(history):
    assert current_facts(history.merchant.pk, "Asia/Shanghai", NOW) is not None
    compared = 0
    for definition in definitions(history):
        with_facts, sql = members_of(history, definition, facts=True)
        direct, direct_sql = members_of(history, definition, facts=False)
        assert with_facts == direct, definition
        days = {c.get("days") for c in definition["conditions"]}
        fields = {c.get("field") for c in definition["conditions"]}
        if days <= set(WINDOWS) and "bought_product_id" not in fields:
            assert "analytics_member" in sql and "analytics_member" not in direct_sql, definition
            compared += 1
    assert compared > 100
    # a product moved to another category since the build: the categories are read as they are now
    Product.objects.filter(pk=history.products[1].pk).update(category=history.care)
    for definition in definitions(history):
        if definition["conditions"][0].get("field") == "bought_category_id":
            with_facts, sql = members_of(history, definition, facts=True)
            assert with_facts == members_of(history, definition, facts=False)[0], definition
            assert "analytics_memberfacts" not in sql
    # the data has members on every side of the conditions (the comparison is not of empty sets)
    assert 0 < len(members_of(history, {"match": "all", "conditions": [
        {"field": "orders_in_days", "op": "gte", "value": 2, "days": 90}]}, facts=True)[0]) < 10


def test_the_facts_hold_each_members_orders_and_products_of_the_closed_days(history):
    member = max(history.members, key=lambda m: Order.objects.filter(member=m).count())
    row = MemberFacts.objects.get(merchant=history.merchant, member_id=member.pk)
    for n in WINDOWS:
        start = TODAY - timedelta(days=n - 1)
        closed = [o for o in Order.objects.filter(member=member, created_at__gte=start, created_at__lt=TODAY)]
        # as of the build: the refunds made after it are not in the facts
        late = {o.pk: sum(r.amount_fen for r in o.refunds.filter(created_at__gte=BUILT - timedelta(hours=1)))
                for o in closed}
        spend = sum(o.payable_fen - o.refunded_fen + late[o.pk] for o in closed)
        assert getattr(row, f"spend_{n}_fen") == spend
        assert getattr(row, f"orders_{n}") <= len(closed)
        # the categories of the lines not refunded in full as of the build (a line refunded in part counts)
        bought = {line.product.category_id for o in closed for line in o.lines.select_related("product")
                  if line.qty > line.refunded_qty - sum(r.qty for r in line.refund_lines.filter(
                      refund__created_at__gte=BUILT - timedelta(hours=1)))}
        assert getattr(row, f"categories_{n}") == bought
    assert row.categories_365


def test_the_facts_serve_only_the_day_after_they_cover_and_are_set_aside_by_a_forget(history):
    merchant = history.merchant.pk
    assert current_facts(merchant, "Asia/Shanghai", NOW + timedelta(days=1)) is None
    assert current_facts(merchant, "Asia/Shanghai", TODAY - timedelta(seconds=1)) is None
    # in the first hour of a day yesterday is not settled: nothing is built, the old facts stay
    state = RollupState.objects.get(merchant_id=merchant)
    assert facts_build(merchant=history.merchant, now=TODAY + timedelta(minutes=30)) is None
    assert RollupState.objects.get(merchant_id=merchant).facts_built_at == state.facts_built_at
    rollup_forget(merchant_id=merchant, since=TODAY.date() - timedelta(days=30))
    assert current_facts(merchant, "Asia/Shanghai", NOW) is None
    definition = {"match": "all", "conditions": [{"field": "orders_in_days", "op": "gte", "value": 1, "days": 30}]}
    ids, sql = members_of(history, definition, facts=True)
    assert "analytics_member" not in sql and ids == members_of(history, definition, facts=False)[0]


@pytest.mark.parametrize("days", [7, 30, 90, 14])
def test_active_and_repeat_members_from_the_facts_match_the_orders(history, days):
    period = Period(TODAY.date() - timedelta(days=days - 1), TODAY.date(), "Asia/Shanghai")
    periods = [period, period.previous()]
    access = history.access()
    fast = _active_and_repeat(access, periods, None, now=NOW)
    direct = _active_and_repeat(access, periods, None, now=NOW, use_facts=False)
    assert fast == direct
    assert fast[0][0] > 0 and fast[1][0] > 0


def test_a_set_of_ids_round_trips_and_overlaps_on_either_database(world):
    for member_id, categories in ((1, {7, 3}), (2, set()), (3, {3})):
        MemberFacts.objects.create(merchant=world.merchant, member_id=member_id, categories_30=categories)
    rows = MemberFacts.objects.filter(merchant=world.merchant)
    assert dict(rows.values_list("member_id", "categories_30")) == {1: {3, 7}, 2: frozenset(), 3: {3}}
    assert sorted(rows.filter(categories_30__overlaps=[7, 9]).values_list("member_id", flat=True)) == [1]
    assert sorted(rows.filter(categories_30__overlaps=[3]).values_list("member_id", flat=True)) == [1, 3]
    assert sorted(rows.exclude(categories_30__overlaps=[7]).values_list("member_id", flat=True)) == [2, 3]
    assert rows.get(member_id=2).categories_7 == frozenset()  # the default


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_build_outside_a_transaction_reclaims_the_rows_it_replaced(world):
    from django.db import connection

    member = make_member(world, name="会员")
    order_at(world, TODAY - timedelta(days=3), member=member)
    for _ in range(2):
        assert facts_build(merchant=world.merchant, now=BUILT) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_dead_tup, last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                       "WHERE relname = 'analytics_memberfacts'")
        assert cursor.fetchone() == (0, True, True)
