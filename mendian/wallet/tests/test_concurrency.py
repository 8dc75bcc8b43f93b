"""Stored value under concurrent load (PostgreSQL): no lost update, never below zero, ledger exact."""

import random
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from mendian.members.testing import make_member
from mendian.tenancy.testing import make_world
from mendian.wallet.errors import InsufficientBalance
from mendian.wallet.models import Recharge, WalletAccount, WalletEntry
from mendian.wallet.services import wallet_spend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_32_threads_recharging_and_spending_on_one_member():
    world = make_world("并发")
    member = make_member(world)
    client_tokens = [world.api() for _ in range(32)]
    rng = random.Random(7)
    plans = [(rng.choice(["recharge", "spend"]), rng.randint(1, 5000), str(uuid.uuid4())) for _ in range(32)]
    barrier = threading.Barrier(32)
    outcomes = [None] * 32

    def work(index):
        kind, amount, key = plans[index]
        try:
            barrier.wait()
            if kind == "recharge":
                body = {"store_id": world.stores[0].pk, "pay_fen": amount, "payment_method": "cash"}
                response = client_tokens[index].post(f"/members/{member.pk}/recharge", body, key=key)
                outcomes[index] = ("recharge", amount, response.status_code)
                again = client_tokens[index].post(f"/members/{member.pk}/recharge", body, key=key)  # replay
                assert again.status_code == response.status_code
            else:
                from django.db import transaction

                try:
                    with transaction.atomic():
                        wallet_spend(member=member, store=world.stores[1], amount_fen=amount)
                    outcomes[index] = ("spend", amount, 201)
                except InsufficientBalance:
                    outcomes[index] = ("spend", amount, 409)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recharged = sum(a for k, a, s in outcomes if k == "recharge" and s == 201)
    spent = sum(a for k, a, s in outcomes if k == "spend" and s == 201)
    assert all(s in (201, 409) for _k, _a, s in outcomes)
    assert all(s == 201 for k, _a, s in outcomes if k == "recharge")
    account = WalletAccount.objects.get(member=member)
    assert account.principal_fen + account.bonus_fen == recharged - spent >= 0
    assert Recharge.objects.filter(member=member).count() == len([o for o in outcomes if o[0] == "recharge"])
    sums = WalletEntry.objects.filter(account=account).aggregate(p=Sum("principal_delta_fen"))
    assert account.principal_fen == sums["p"]
    call_command("check_ledgers")


def test_an_error_mid_operation_leaves_no_partial_rows(monkeypatch):
    world = make_world("故障")
    member = make_member(world)
    client = world.api()
    before = (WalletEntry.objects.count(), Recharge.objects.count())

    def explode(*args, **kwargs):
        raise RuntimeError("disk full after the balance moved")

    monkeypatch.setattr("mendian.wallet.services.audit_record", explode)
    response = client.post(f"/members/{member.pk}/recharge", {"store_id": world.stores[0].pk, "pay_fen": 500,
                                                              "payment_method": "cash"}, key=str(uuid.uuid4()))
    assert response.status_code == 500
    account = WalletAccount.objects.get(member=member)
    assert (account.principal_fen, account.bonus_fen) == (0, 0)
    assert (WalletEntry.objects.count(), Recharge.objects.count()) == before
