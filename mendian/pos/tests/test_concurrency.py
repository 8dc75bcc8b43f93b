"""Checkout under concurrent load (PostgreSQL)."""

import uuid

import pytest
from django.core.management import call_command

from mendian.core.testing.concurrency import run_together
from mendian.members.testing import make_member
from mendian.pos.models import Order, OrderLine, Payment
from mendian.pos.testing import make_product
from mendian.tenancy.testing import make_world
from mendian.wallet.models import WalletAccount, WalletEntry
from mendian.wallet.services import wallet_recharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_checkouts_drain_stored_value_exactly_and_never_below_zero():
    world = make_world("并发收银")
    member = make_member(world)
    wallet_recharge(access=world.access(), member=member, store=world.stores[0], pay_fen=10000,
                    payment_method="cash")
    product = make_product(world, price_fen=1500)
    clients = [world.api() for _ in range(12)]
    body = {"store_id": world.stores[0].pk, "member_id": member.pk, "lines": [{"product_id": product.pk, "qty": 1}],
            "payments": [{"method": "stored_value", "amount_fen": 1500}]}
    responses = run_together(12, lambda i: clients[i].post("/orders", body, key=str(uuid.uuid4())))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 6 + [409] * 6  # 6 × ¥15 fit in ¥100
    account = WalletAccount.objects.get(member=member)
    assert account.principal_fen + account.bonus_fen == 10000 - 6 * 1500 == 1000
    assert Order.objects.filter(member=member).count() == 6
    call_command("check_ledgers")


def test_one_idempotency_key_sent_twice_at_once_makes_one_order():
    world = make_world("幂等收银")
    product = make_product(world, price_fen=2000)
    clients = [world.api() for _ in range(6)]
    key = str(uuid.uuid4())
    body = {"store_id": world.stores[0].pk, "lines": [{"product_id": product.pk, "qty": 1}],
            "payments": [{"method": "wechat", "amount_fen": 2000}]}
    responses = run_together(6, lambda i: clients[i].post("/orders", body, key=key))
    assert {r.status_code for r in responses} == {200}
    assert len({r.data["id"] for r in responses}) == 1
    assert Order.objects.filter(merchant=world.merchant).count() == 1


def test_an_error_after_the_payment_step_leaves_nothing(monkeypatch):
    world = make_world("故障收银")
    member = make_member(world)
    wallet_recharge(access=world.access(), member=member, store=world.stores[0], pay_fen=5000, payment_method="cash")
    product = make_product(world, price_fen=1000)
    before = (Order.objects.count(), OrderLine.objects.count(), Payment.objects.count(), WalletEntry.objects.count())
    from mendian.pos.services import checkout

    def explode(**kwargs):
        raise RuntimeError("the stock service fell over")

    monkeypatch.setattr(checkout, "member_record_purchase", explode)
    response = world.api().post("/orders", {"store_id": world.stores[0].pk, "member_id": member.pk,
                                            "lines": [{"product_id": product.pk, "qty": 1}],
                                            "payments": [{"method": "stored_value", "amount_fen": 1000}]},
                                key=str(uuid.uuid4()))
    assert response.status_code == 500
    assert (Order.objects.count(), OrderLine.objects.count(), Payment.objects.count(),
            WalletEntry.objects.count()) == before
    assert WalletAccount.objects.get(member=member).principal_fen == 5000
    call_command("check_ledgers")
