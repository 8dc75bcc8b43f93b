import pytest

from mendian.core.testing.api import error_code
from mendian.loyalty.models import Level, LoyaltyAccount
from mendian.members.testing import make_member
from mendian.tenancy.models import AuditEntry


def test_levels_api_and_bad_input(world):
    client = world.api()
    base = client.post("/levels", {"name": "普通", "rank": 0, "upgrade_by": "spend", "threshold": 0,
                                   "discount_pct": 100, "points_multiplier_pct": 100})
    assert base.status_code == 201
    assert error_code(client.post("/levels", {"name": "重复", "rank": 0})) == "level_rank_taken"
    assert error_code(client.post("/levels", {"name": "普通", "rank": 3})) == "level_name_taken"
    assert client.post("/levels", {"name": "零折", "rank": 4, "discount_pct": 0}).status_code == 422
    assert client.post("/levels", {"name": "负", "rank": 5, "threshold": -1}).status_code == 422
    assert client.post("/levels", {"name": "怪", "rank": 6, "upgrade_by": "luck"}).status_code == 422
    assert [lv["name"] for lv in client.get("/levels").data] == ["普通"]
    assert world.api(world.staff("cashier")).post("/levels", {"name": "x", "rank": 9}).status_code == 403


def test_recharge_upgrades_by_recharge_and_manual_change_is_audited(world):
    normal = Level.objects.create(merchant=world.merchant, name="普通", rank=0)
    gold = Level.objects.create(merchant=world.merchant, name="金卡", rank=2, upgrade_by="recharge", threshold=50000)
    member = make_member(world)
    assert LoyaltyAccount.objects.get(member=member).level == normal
    client = world.api()
    client.post(f"/members/{member.pk}/recharge", {"store_id": world.stores[0].pk, "pay_fen": 49999,
                                                   "payment_method": "cash"})
    assert LoyaltyAccount.objects.get(member=member).level == normal
    client.post(f"/members/{member.pk}/recharge", {"store_id": world.stores[0].pk, "pay_fen": 1,
                                                   "payment_method": "wechat"})
    assert client.get(f"/members/{member.pk}").data["level"]["name"] == "金卡"
    changed = client.post(f"/members/{member.pk}/level", {"level_id": normal.pk, "reason": "客户要求"})
    assert changed.status_code == 200
    entry = AuditEntry.objects.filter(merchant=world.merchant, action="level.changed").latest("id")
    assert entry.changes == {"level": ["金卡", "普通"], "reason": "客户要求"}
    assert client.post(f"/members/{member.pk}/level", {"level_id": gold.pk}).status_code == 422
    assert error_code(client.delete(f"/levels/{normal.pk}")) == "level_in_use"


@pytest.mark.parametrize("upgrade_by,threshold", [("points", 100)])
def test_upgrade_by_points_earned(world, upgrade_by, threshold):
    Level.objects.create(merchant=world.merchant, name="普通", rank=0)
    Level.objects.create(merchant=world.merchant, name="积分达人", rank=1, upgrade_by=upgrade_by, threshold=threshold)
    member = make_member(world)
    from mendian.loyalty.services import level_upgrade, points_change

    account = LoyaltyAccount.objects.get(member=member)
    points_change(account=account, member=member, delta=100, reason="earn")
    account.refresh_from_db()
    assert level_upgrade(member=member, account=account).name == "积分达人"
    # an adjustment does not count as earned
    other = make_member(world)
    other_account = LoyaltyAccount.objects.get(member=other)
    points_change(account=other_account, member=other, delta=500, reason="adjust")
    other_account.refresh_from_db()
    assert level_upgrade(member=other, account=other_account) is None
