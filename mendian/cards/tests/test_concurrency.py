"""Cards under concurrent load (PostgreSQL): the last use of a card goes to exactly one request."""

import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from mendian.cards.models import CardBalance, CardUse
from mendian.core.testing.concurrency import run_together
from mendian.members.testing import make_member
from mendian.pos.models import Order
from mendian.pos.testing import make_product
from mendian.tenancy.testing import make_world

from .factories import make_template, sell

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _punch_card_with_one_use_left(name):
    world = make_world(name)
    world.cut = make_product(world, name="洗剪吹", kind="service", price_fen=8800)
    member = make_member(world)
    card = sell(world, make_template(world, items=[(world.cut, 1)]), member)
    return world, member, card


def test_ten_concurrent_uses_of_a_punch_card_with_one_use_left_give_exactly_one():
    world, _member, card = _punch_card_with_one_use_left("抢次卡")
    clients = [world.api() for _ in range(10)]
    body = {"product_id": world.cut.pk, "store_id": world.stores[0].pk}
    responses = run_together(10, lambda i: clients[i].post(f"/member-cards/{card.pk}/use", body,
                                                           key=str(uuid.uuid4())))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert {r.data["error"]["code"] for r in responses if r.status_code == 409} == {"card_exhausted"}
    balance = CardBalance.objects.get(card=card)
    assert (balance.uses_left, balance.used) == (0, 1)
    assert CardUse.objects.filter(card=card, kind="use").count() == 1
    call_command("check_ledgers")


def test_ten_concurrent_checkouts_paying_with_the_last_use_sell_once():
    world, member, card = _punch_card_with_one_use_left("抢次卡收银")
    clients = [world.api() for _ in range(10)]
    body = {"store_id": world.stores[0].pk, "member_id": member.pk, "payments": [],
            "lines": [{"product_id": world.cut.pk, "qty": 1, "member_card_id": card.pk}]}
    responses = run_together(10, lambda i: clients[i].post("/orders", body, key=str(uuid.uuid4())))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert {r.data["error"]["code"] for r in responses if r.status_code == 409} == {"card_exhausted"}
    assert Order.objects.filter(member=member, payable_fen=0).count() == 1
    assert CardBalance.objects.get(card=card).uses_left == 0
    call_command("check_ledgers")


def test_card_use_locks_the_card_row_before_writing():
    """The use reads the card FOR UPDATE before it touches the balance or the ledger."""
    from django.test.utils import CaptureQueriesContext

    from mendian.cards.services import card_use

    world, _member, card = _punch_card_with_one_use_left("锁卡")
    with CaptureQueriesContext(connection) as queries:
        card_use(access=world.access(), member_card_id=card.pk, product_id=world.cut.pk, store_id=world.stores[0].pk)
    sql = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s and "cards_membercard" in s)
    first_write = next(i for i, s in enumerate(sql) if s.startswith(("UPDATE", "INSERT")) and "cards_" in s)
    assert lock < first_write
