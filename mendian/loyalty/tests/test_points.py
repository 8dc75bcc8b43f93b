from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Sum

from mendian.core.testing.api import error_code
from mendian.loyalty.models import LoyaltyAccount, PointsEntry, PointsRule
from mendian.loyalty.services import points_award_birthdays, points_change, points_expire_due
from mendian.members.testing import make_member

SHANGHAI = ZoneInfo("Asia/Shanghai")


def account_of(member):
    return LoyaltyAccount.objects.get(member=member)


def assert_balanced(member):
    account = account_of(member)
    ledger = PointsEntry.objects.filter(account=account).aggregate(s=Sum("delta"))["s"] or 0
    lots = sum(points for _expiry, points in account.lots)
    moved = sum(points for entry in PointsEntry.objects.filter(account=account) for _expiry, points in entry.lots)
    assert account.points == ledger == lots == moved
    call_command("check_ledgers")


def earn(member, points, when):
    account = account_of(member)
    return points_change(account=account, member=member, delta=points, reason="earn", when=when)


def test_spending_takes_the_oldest_lots_first_and_expiry_takes_what_is_left(world):
    PointsRule.objects.create(merchant=world.merchant, expire_after_days=30)
    member = make_member(world)
    earn(member, 100, datetime(2026, 1, 1, 10, tzinfo=SHANGHAI))
    earn(member, 200, datetime(2026, 1, 20, 10, tzinfo=SHANGHAI))
    points_change(account=account_of(member), member=member, delta=-150, reason="redeem",
                  when=datetime(2026, 1, 25, tzinfo=SHANGHAI))
    account = account_of(member)
    assert account.lots == [["2026-02-19", 150]]  # the lot of 2026-01-31 was used up first
    assert account.next_expiry_on == date(2026, 2, 19)
    redeem = PointsEntry.objects.get(member=member, reason="redeem")
    assert redeem.lots == [["2026-01-31", -100], ["2026-02-19", -50]]
    assert points_expire_due(merchant=world.merchant, today=date(2026, 2, 1)) == 0  # the first lot was used up
    assert points_expire_due(merchant=world.merchant, today=date(2026, 2, 20)) == 150
    assert points_expire_due(merchant=world.merchant, today=date(2026, 2, 21)) == 0  # only once
    assert account_of(member).points == 0
    expiry = PointsEntry.objects.get(member=member, reason="expire")
    assert expiry.delta == -150 and expiry.balance_after == 0
    assert_balanced(member)


def test_expiry_is_shown_ahead(world):
    PointsRule.objects.create(merchant=world.merchant, expire_after_days=10)
    member = make_member(world)
    client = world.api()
    assert client.post(f"/members/{member.pk}/points-adjustments", {"delta": 80, "note": "活动"}).status_code == 201
    upcoming = client.get(f"/members/{member.pk}/points-expiry?days=30").data
    assert [row["points"] for row in upcoming] == [80]
    assert client.get(f"/members/{member.pk}/points-expiry?days=5").data == []


def test_adjust_below_zero_is_refused_and_changes_nothing(world):
    member = make_member(world)
    client = world.api()
    client.post(f"/members/{member.pk}/points-adjustments", {"delta": 30, "note": "补录"})
    before = PointsEntry.objects.count()
    refused = client.post(f"/members/{member.pk}/points-adjustments", {"delta": -31, "note": "扣除"})
    assert refused.status_code == 409 and error_code(refused) == "insufficient_points"
    assert PointsEntry.objects.count() == before and account_of(member).points == 30
    assert error_code(client.post(f"/members/{member.pk}/points-adjustments", {"delta": 0, "note": "x"})) \
        == "invalid_points"
    assert client.post(f"/members/{member.pk}/points-adjustments", {"delta": 5}).status_code == 422
    assert world.api(world.staff("cashier")).post(f"/members/{member.pk}/points-adjustments",
                                                  {"delta": 5, "note": "x"}).status_code == 403
    ledger = client.get(f"/members/{member.pk}/points-ledger").data["items"]
    assert [(e["delta"], e["balance_after"], e["reason"]) for e in ledger] == [(30, 30, "adjust")]
    assert_balanced(member)


@pytest.mark.parametrize("body", [
    {"points_per_yuan": 1, "redeem_points": 0, "redeem_fen": 100, "max_redeem_pct": 50},
    {"points_per_yuan": 1, "redeem_points": 100, "redeem_fen": 100, "max_redeem_pct": 101},
    {"points_per_yuan": -1, "redeem_points": 100, "redeem_fen": 100, "max_redeem_pct": 50},
    {"points_per_yuan": 1.5, "redeem_points": 100, "redeem_fen": 100, "max_redeem_pct": 50},
    {"points_per_yuan": 1, "redeem_points": 100, "redeem_fen": 100, "max_redeem_pct": 50, "expire_after_days": 0},
])
def test_bad_points_rules(world, body):
    assert world.api().put("/loyalty/points-rule", body).status_code == 422


def test_points_rule_round_trip(world):
    client = world.api()
    body = {"points_per_yuan": 2, "redeem_points": 100, "redeem_fen": 100, "max_redeem_pct": 30,
            "expire_after_days": 365, "register_points": 10, "birthday_points": 88}
    assert client.put("/loyalty/points-rule", body).data == body
    assert client.get("/loyalty/points-rule").data == body
    assert world.api(world.staff("cashier")).put("/loyalty/points-rule", body).status_code == 403


def test_birthday_points_once_a_year(world):
    PointsRule.objects.create(merchant=world.merchant, birthday_points=88)
    member = make_member(world, birthday=date(1990, 11, 28))
    make_member(world, birthday=date(1990, 11, 29))
    assert points_award_birthdays(merchant=world.merchant, today=date(2026, 11, 28)) == 1
    assert points_award_birthdays(merchant=world.merchant, today=date(2026, 11, 28)) == 0
    assert account_of(member).points == 88
    assert points_award_birthdays(merchant=world.merchant, today=date(2027, 11, 28)) == 1
    assert_balanced(member)


def test_check_ledgers_finds_a_tampered_balance(world):
    member = make_member(world)
    earn(member, 50, datetime(2026, 3, 1, tzinfo=SHANGHAI))
    call_command("check_ledgers")
    LoyaltyAccount.objects.filter(member=member).update(points=51)
    with pytest.raises(Exception, match="ledger differences"):
        call_command("check_ledgers")


def test_daily_jobs_are_enqueued_once_per_local_day(world):
    from django_tasks import default_task_backend

    from mendian.core.scheduling import enqueue_due

    default_task_backend.clear()
    early = datetime(2026, 11, 28, 0, 30, tzinfo=SHANGHAI)
    assert not [j for j in enqueue_due(now=early) if j[1] == world.merchant.pk]
    morning = datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)
    mine = [j for j in enqueue_due(now=morning) if j[1] == world.merchant.pk]
    assert sorted(j[0] for j in mine) == ["analytics", "birthday_gifts", "birthday_points", "points_expire"]
    assert not [j for j in enqueue_due(now=morning + timedelta(hours=1)) if j[1] == world.merchant.pk]
    assert len([r for r in default_task_backend.results if r.args[0] == world.merchant.pk]) == 4
