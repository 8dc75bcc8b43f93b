import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from mendian.core.testing.api import error_code
from mendian.members.testing import make_member
from mendian.wallet.errors import InsufficientBalance
from mendian.wallet.models import Recharge, RechargePlan, WalletAccount, WalletEntry
from mendian.wallet.services import split_spend, wallet_refund_spend, wallet_spend


def balance(member):
    account = WalletAccount.objects.get(member=member)
    return account.principal_fen, account.bonus_fen


def assert_ledger(member):
    account = WalletAccount.objects.get(member=member)
    sums = WalletEntry.objects.filter(account=account).aggregate(p=Sum("principal_delta_fen"), b=Sum("bonus_delta_fen"))
    pools = (sum(p for p, _b in account.pools.values()), sum(b for _p, b in account.pools.values()))
    assert (account.principal_fen, account.bonus_fen) == (sums["p"] or 0, sums["b"] or 0) == pools
    call_command("check_ledgers")


def recharge(client, member, store, **body):
    return client.post(f"/members/{member.pk}/recharge",
                       {"store_id": store.pk, "payment_method": "cash", **body}, key=str(uuid.uuid4()))


def test_recharge_with_a_plan_and_a_free_amount(world):
    plan = world.api().post("/wallet/recharge-plans", {"name": "充300送150", "pay_fen": 30000,
                                                       "bonus_fen": 15000}).data
    member = make_member(world)
    client = world.api()
    done = recharge(client, member, world.stores[0], pay_fen=30000, plan_id=plan["id"])
    assert done.status_code == 201
    assert (done.data["principal_fen"], done.data["bonus_fen"], done.data["balance_fen"]) == (30000, 15000, 45000)
    free = recharge(client, member, world.stores[0], pay_fen=1234, payment_method="alipay")
    assert free.data["balance_fen"] == 46234
    ledger = client.get(f"/members/{member.pk}/wallet-ledger").data["items"]
    assert [(e["principal_delta_fen"], e["bonus_delta_fen"], e["delta"], e["balance_after"]) for e in ledger] == \
        [(1234, 0, 1234, 46234), (30000, 15000, 45000, 45000)]
    assert_ledger(member)


@pytest.mark.parametrize("body,code", [
    ({"pay_fen": 0}, "validation_error"),
    ({"pay_fen": -100}, "validation_error"),
    ({"pay_fen": 12.5}, "validation_error"),
    ({"pay_fen": "abc"}, "validation_error"),
    ({"pay_fen": 100, "payment_method": "stored_value"}, "validation_error"),
    ({"pay_fen": 10**12}, "invalid_amount"),
])
def test_bad_recharges_change_nothing(world, body, code):
    member = make_member(world)
    response = recharge(world.api(), member, world.stores[0], **body)
    assert response.status_code == 422 and error_code(response) == code
    assert balance(member) == (0, 0) and not Recharge.objects.filter(member=member).exists()


def test_plan_rules(world):
    new_store_plan = RechargePlan.objects.create(merchant=world.merchant, name="新店专享", pay_fen=20000,
                                                 bonus_fen=8000)
    new_store_plan.stores.set([world.stores[1]])
    member = make_member(world)
    client = world.api()
    elsewhere = recharge(client, member, world.stores[0], pay_fen=20000, plan_id=new_store_plan.pk)
    assert elsewhere.status_code == 422 and error_code(elsewhere) == "plan_not_valid_here"
    wrong = recharge(client, member, world.stores[1], pay_fen=19999, plan_id=new_store_plan.pk)
    assert error_code(wrong) == "plan_amount_mismatch"
    assert recharge(client, member, world.stores[1], pay_fen=20000, plan_id=new_store_plan.pk).status_code == 201
    listed = client.get(f"/wallet/recharge-plans?store_id={world.stores[0].pk}").data
    assert new_store_plan.pk not in [p["id"] for p in listed]
    assert error_code(client.post("/wallet/recharge-plans", {"name": "x", "pay_fen": 100, "store_ids": [999999]})) \
        == "store_not_found"


def test_recharge_is_idempotent(world):
    member = make_member(world)
    client = world.api()
    key = str(uuid.uuid4())
    body = {"store_id": world.stores[0].pk, "pay_fen": 5000, "payment_method": "cash"}
    first = client.post(f"/members/{member.pk}/recharge", body, key=key)
    second = client.post(f"/members/{member.pk}/recharge", body, key=key)
    assert first.data == second.data and balance(member) == (5000, 0)
    reused = client.post(f"/members/{member.pk}/recharge", {**body, "pay_fen": 6000}, key=key)
    assert reused.status_code == 409 and error_code(reused) == "idempotency_key_reused"


@pytest.mark.parametrize("amount,principal,bonus,expected", [
    (16800, 30000, 15000, (11200, 5600)),
    (100, 30000, 15000, (67, 33)),
    (1, 1, 2, (0, 1)),
    (3, 1, 2, (1, 2)),
    (45000, 30000, 15000, (30000, 15000)),
    (5, 5, 0, (5, 0)),
])
def test_spend_splits_principal_and_bonus_by_rule_6(amount, principal, bonus, expected):
    assert split_spend(amount_fen=amount, principal_fen=principal, bonus_fen=bonus) == expected


def test_spend_refund_and_cross_store_settlement(world):
    client = world.api()
    member = make_member(world)
    plan = RechargePlan.objects.create(merchant=world.merchant, name="充300送150", pay_fen=30000, bonus_fen=15000)
    recharge(client, member, world.stores[0], pay_fen=30000, plan_id=plan.pk)
    spent = wallet_spend(member=member, store=world.stores[1], amount_fen=16800, ref_type="order", ref_id=1)
    assert (spent.principal_delta_fen, spent.bonus_delta_fen) == (-11200, -5600)
    assert balance(member) == (18800, 9400)
    with pytest.raises(InsufficientBalance):
        wallet_spend(member=member, store=world.stores[1], amount_fen=28201)
    assert balance(member) == (18800, 9400)
    refund = wallet_refund_spend(spend=spent, principal_fen=4000, bonus_fen=2000, store=world.stores[1])
    assert (refund.principal_delta_fen, refund.bonus_delta_fen) == (4000, 2000)
    assert_ledger(member)
    today = timezone.localdate()
    rows = client.get(f"/reports/stored-value/settlement?date_from={today}&date_to={today}").data["rows"]
    assert rows == [{"recharge_store_id": world.stores[0].pk, "spend_store_id": world.stores[1].pk,
                     "principal_fen": 7200, "bonus_fen": 3600}]
    liability = client.get("/reports/stored-value/liability").data
    assert (liability["principal_fen"], liability["bonus_fen"]) == (22800, 11400)
    assert [r["store_id"] for r in liability["rows"]] == [world.stores[0].pk]
    bad = client.get(f"/reports/stored-value/settlement?date_from={today}&date_to={today - timedelta(days=1)}")
    assert error_code(bad) == "invalid_period"
    assert world.api(world.staff("cashier")).get("/reports/stored-value/liability").status_code == 403


def test_recharge_refund_returns_unspent_principal_and_forfeits_bonus(world):
    client = world.api()
    member = make_member(world)
    plan = RechargePlan.objects.create(merchant=world.merchant, name="充300送150", pay_fen=30000, bonus_fen=15000)
    done = recharge(client, member, world.stores[0], pay_fen=30000, plan_id=plan.pk).data
    wallet_spend(member=member, store=world.stores[0], amount_fen=10000)  # 6667 principal, 3333 bonus
    refunded = client.post(f"/recharges/{done['recharge_id']}/refund", {"reason": "客户退卡"})
    assert refunded.status_code == 200, refunded.data
    assert (refunded.data["refund_fen"], refunded.data["bonus_forfeited_fen"]) == (23333, 11667)
    assert (refunded.data["principal_fen"], refunded.data["bonus_fen"]) == (0, 0)
    again = client.post(f"/recharges/{done['recharge_id']}/refund", {"reason": "再退"})
    assert again.status_code == 409 and error_code(again) == "nothing_to_refund"
    assert WalletAccount.objects.get(member=member).recharged_total_fen == 30000 - 23333
    assert_ledger(member)
    call_command("check_ledgers")


def test_check_ledgers_finds_a_broken_wallet(world):
    member = make_member(world)
    recharge(world.api(), member, world.stores[0], pay_fen=1000)
    call_command("check_ledgers")
    WalletAccount.objects.filter(member=member).update(bonus_fen=1)
    with pytest.raises(Exception, match="ledger differences"):
        call_command("check_ledgers")
