import uuid
from datetime import timedelta

import pytest
from django.db import models
from django.utils import timezone

from mendian.analytics.models import RfmScore, RfmSettings
from mendian.analytics.rfm import GROUPS, rfm_recompute
from mendian.members.testing import make_member
from mendian.pos.services.refunds import order_refund
from mendian.pos.testing import make_product

from .helpers import order_at


@pytest.fixture
def shop(world):
    """Thresholds: R by 30/60/120/240 days, F by 2/3/5/8 orders, M by ¥200/¥500/¥1000/¥3000."""
    RfmSettings.objects.create(merchant=world.merchant, method="thresholds", period_days=365,
                               r_days=[30, 60, 120, 240], f_orders=[2, 3, 5, 8], m_fen=[20000, 50000, 100000, 300000])
    world.big = make_product(world, name="年卡", price_fen=50000)
    world.small = make_product(world, name="洗发", price_fen=1000)
    return world


def test_thresholds_score_each_member_and_the_eight_groups_add_up(shop):
    now = timezone.now()
    star = make_member(shop, name="常客")  # 8 orders of ¥500 in the last month: R5 F5 M5
    for i in range(8):
        order_at(shop, now - timedelta(days=i + 1), member=star, lines=[(shop.big, 1)])
    sleeper = make_member(shop, name="沉睡")  # one ¥10 order 200 days ago: R2 F1 M1
    order_at(shop, now - timedelta(days=200), member=sleeper, lines=[(shop.small, 1)])
    lapsed = make_member(shop, name="流失大客")  # two ¥500 orders 100 days ago: R3 F2 M4
    for _ in range(2):
        order_at(shop, now - timedelta(days=100), member=lapsed, lines=[(shop.big, 1)])
    refunded = make_member(shop, name="全退")  # the only order refunded in full: not scored
    order_refund(access=shop.access(), order=order_at(shop, now, member=refunded, lines=[(shop.big, 1)]),
                 reason="退")
    too_old = make_member(shop, name="太久")  # outside the 365-day period
    order_at(shop, now - timedelta(days=400), member=too_old, lines=[(shop.big, 1)])
    make_member(shop, name="从未消费")
    assert rfm_recompute(merchant=shop.merchant) == 3
    scores = {s.member_id: s for s in RfmScore.objects.filter(merchant=shop.merchant)}
    assert set(scores) == {star.pk, sleeper.pk, lapsed.pk}
    assert (scores[star.pk].r, scores[star.pk].f, scores[star.pk].m) == (5, 5, 5)
    assert (scores[star.pk].frequency, scores[star.pk].monetary_fen) == (8, 400000)
    assert (scores[sleeper.pk].r, scores[sleeper.pk].f, scores[sleeper.pk].m) == (2, 1, 1)
    assert (scores[lapsed.pk].r, scores[lapsed.pk].f, scores[lapsed.pk].m) == (3, 2, 4)
    # averages: R 3.33, F 2.67, M 3.33 — high means above them
    assert scores[star.pk].group_code == "important_value"
    assert scores[sleeper.pk].group_code == "general_retain"
    assert scores[lapsed.pk].group_code == "important_retain"  # only M above the average
    report = shop.api().get("/reports/rfm").data
    assert [g["code"] for g in report["groups"]] == [g.code for g in GROUPS]
    assert sum(g["count"] for g in report["groups"]) == report["scored_members"] == 3
    assert sum(g["spend_fen"] for g in report["groups"]) == 400000 + 1000 + 100000
    by_code = {g["code"]: g for g in report["groups"]}
    assert (by_code["important_value"]["count"], by_code["important_value"]["spend_fen"]) == (1, 400000)
    assert by_code["important_value"]["name"] == "重要价值客户"
    cells = {(c["r"], c["f"]): c["count"] for row in report["grid"] for c in row}
    assert cells[(5, 5)] == 1 and cells[(2, 1)] == 1 and cells[(3, 2)] == 1 and sum(cells.values()) == 3


def test_quantiles_give_tied_members_the_same_score(shop):
    RfmSettings.objects.filter(merchant=shop.merchant).update(method="quantile")
    now = timezone.now()
    members = [make_member(shop, name=f"会员{i}") for i in range(10)]
    for i, member in enumerate(members):
        # the same day and one order each; spend rises with i
        order_at(shop, now - timedelta(days=5), member=member, lines=[(shop.small, i + 1)])
    assert rfm_recompute(merchant=shop.merchant) == 10
    scores = {s.member_id: s for s in RfmScore.objects.filter(merchant=shop.merchant)}
    assert {s.f for s in scores.values()} == {1}  # everyone tied on frequency
    assert [scores[m.pk].m for m in members] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_the_api_scores_now_and_refuses_bad_settings_and_store_staff(shop):
    client = shop.api()
    order_at(shop, timezone.now(), member=make_member(shop), lines=[(shop.small, 1)])
    assert client.post("/reports/rfm/recompute", key=str(uuid.uuid4())).data == {"scored_members": 1}
    assert client.get("/reports/rfm").data["scored_at"] is not None
    manager = shop.api(shop.staff("store_manager"))
    assert manager.get("/reports/rfm").status_code == 403  # RFM is head office's (marketers, HQ)
    marketer = shop.api(shop.staff("marketer"))
    assert marketer.get("/reports/rfm").status_code == 200
    from mendian.analytics.rfm import rfm_settings_save
    from mendian.core.errors import InvalidInput

    for bad in ({"r_days": [30, 20, 60, 90]}, {"r_days": [1, 2, 3]}, {"m_fen": [-1, 2, 3, 4]}):
        kwargs = {"r_days": [30, 60, 120, 240], "f_orders": [2, 3, 5, 8], "m_fen": [1, 2, 3, 4], **bad}
        with pytest.raises(InvalidInput) as refused:
            rfm_settings_save(access=shop.access(), method="thresholds", period_days=365, **kwargs)
        assert refused.value.code == "invalid_thresholds"


def test_the_nightly_job_stores_yesterday_scores_rfm_and_runs_rule_tags(shop):
    from mendian.analytics.models import DaySales, TagRule
    from mendian.analytics.segments import tag_rule_save
    from mendian.analytics.tasks import analytics_daily

    member = make_member(shop, name="昨日顾客")
    order_at(shop, timezone.now() - timedelta(days=1), member=member, lines=[(shop.big, 1)])
    rule = tag_rule_save(access=shop.access(), name="近一周消费",
                         definition={"conditions": [{"field": "orders_in_days", "op": "gte", "value": 1, "days": 7}]})
    TagRule.objects.filter(pk=rule.pk).update(member_count=0, last_run_at=None)
    done = analytics_daily.call(shop.merchant.pk, timezone.now().date().isoformat())
    assert done["days_rolled_up"] >= 1 and done["rfm_scored"] == 1 and done["tag_rules"] == 1
    assert DaySales.objects.filter(merchant=shop.merchant).aggregate(s=models.Sum("sales_fen"))["s"] == 50000
    assert TagRule.objects.get(pk=rule.pk).member_count == 1


def test_a_merchant_never_scored_is_scored_when_first_asked(shop):
    order_at(shop, timezone.now() - timedelta(days=2), member=make_member(shop), lines=[(shop.big, 1)])
    report = shop.api().get("/reports/rfm").data
    assert report["scored_members"] == 1 and report["scored_at"] is not None
    assert sum(g["count"] for g in report["groups"]) == 1
