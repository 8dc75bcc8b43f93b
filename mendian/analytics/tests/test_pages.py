"""The pages: dashboards (HQ and store), segments and the builder, rule tags, RFM, finance."""

import io
import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from mendian.analytics.models import RfmScore, Segment, TagRule
from mendian.members.models import MemberTag
from mendian.members.testing import make_member
from mendian.pos.testing import make_product
from mendian.wallet.services import wallet_recharge

from .helpers import order_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def logged_in(staff, language="zh-hans"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(staff)
    return client


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def kpi(response, key):
    match = re.search(rf'data-kpi="{key}">([^<]*)<', response.content.decode())
    assert match, key
    return match.group(1)


def _sales(world):
    cut = make_product(world, name="洗剪吹", kind="service", price_fen=8800)
    member = make_member(world, name="王会员")
    now = timezone.now()
    order_at(world, now - timedelta(hours=1), member=member, lines=[(cut, 2)], store_index=0)
    order_at(world, now - timedelta(hours=2), lines=[(cut, 1)], store_index=1)
    order_at(world, now - timedelta(days=40), lines=[(cut, 1)], store_index=0)  # the period before
    return cut, member


def test_hq_dashboard_shows_the_figures_compares_and_exports(world):
    _sales(world)
    client = logged_in(world.owner)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert kpi(page, "sales_fen") == "¥264.00" and kpi(page, "orders") == "2"
    assert kpi(page, "member_orders") == "1" and kpi(page, "walk_in_orders") == "1"
    assert kpi(page, "member_share_pct") == "66.7%"
    body = text(page)
    assert "数据看板" in body and "按门店" in body and "按品类" in body
    data = json.loads(re.search(r'id="dashboard-data"[^>]*>(.*?)</script>', page.content.decode(), re.S).group(1))
    assert sum(data["sales"]) == 264.0 and sum(data["sales_before"]) == 88.0
    assert sorted(data["breakdowns"]["store"]["sales"]) == [88.0, 176.0]
    export = client.get("/dashboard/?format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(export.content))
    rows = list(workbook.worksheets[0].values)
    assert ("销售额", 264.0, 88.0, 200.0) in rows
    english = logged_in(world.owner, "en")
    assert "Dashboard" in text(english.get("/dashboard/?date_from=2026-01-01&date_to=2026-01-31"))


def test_store_dashboard_shows_only_the_managers_stores(world):
    _sales(world)
    manager = world.staff("store_manager", stores=[world.stores[1]])
    page = logged_in(manager).get("/dashboard/")
    assert "门店看板" in text(page)
    assert kpi(page, "sales_fen") == "¥88.00" and kpi(page, "orders") == "1"
    other = logged_in(manager).get(f"/dashboard/?store={world.stores[0].pk}")
    assert other.status_code == 200 and "检查" in text(other)  # not a store of theirs: the form says so
    assert kpi(other, "sales_fen") == "¥88.00"
    assert logged_in(world.staff("cashier")).get("/dashboard/").status_code == 403


def test_bad_periods_are_said_in_words(world):
    client = logged_in(world.owner)
    page = client.get("/dashboard/?date_from=2026-03-10&date_to=2026-03-01")
    assert page.status_code == 200 and "结束日期早于开始日期" in text(page)


def test_build_a_segment_on_the_page_then_open_export_and_delete_it(world):
    cut, member = _sales(world)
    client = logged_in(world.owner)
    builder = client.get("/segments/new/")
    config = json.loads(re.search(r'id="builder-config"[^>]*>(.*?)</script>', builder.content.decode(), re.S).group(1))
    assert {"spend_fen_in_days", "bought_product_id", "tag_id"} <= {f["field"] for f in config["fields"]}
    products = next(f for f in config["fields"] if f["field"] == "bought_product_id")["options"]
    assert [cut.pk, "洗剪吹"] in products
    definition = {"match": "all", "conditions": [{"field": "bought_product_id", "op": "eq", "value": cut.pk,
                                                  "days": 30}, {"field": "gender", "op": "ne", "value": "male"}]}
    saved = client.post("/segments/new/", {"name": "买过洗剪吹", "definition": json.dumps(definition)})
    segment = Segment.objects.get(merchant=world.merchant, name="买过洗剪吹")
    assert saved.status_code == 302 and saved["Location"] == f"/segments/{segment.pk}/"
    assert segment.member_count == 1
    detail = client.get(f"/segments/{segment.pk}/")
    assert "王会员" in text(detail) and "最近 30 天" in text(detail)
    export = client.get(f"/segments/{segment.pk}/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].values)
    assert len(rows) == 2 and rows[1][1] == "王会员"
    assert rows[1][2] == member.phone  # the owner may see full phones
    refused = client.post("/segments/new/", {"name": "坏", "definition": json.dumps(
        {"conditions": [{"field": "gender", "op": "gt", "value": "x"}]})})
    assert refused.status_code == 422 and "不适用" in text(refused)
    assert client.post(f"/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_switch_on_ready_made_rules_and_run_a_rule_tag(world):
    _sales(world)
    client = logged_in(world.owner)
    assert client.post("/segments/presets/", {"preset": "new_customer"}).status_code == 302
    rule = TagRule.objects.get(merchant=world.merchant, preset="new_customer")
    assert rule.member_count == 1 and rule.last_run_at is not None
    assert MemberTag.objects.filter(tag=rule.tag).count() == 1
    again = client.post("/segments/presets/", {"preset": "new_customer"}, follow=True)
    assert "已经打开" in text(again)
    client.post("/segments/presets/", {"preset": "registered_store"})
    assert TagRule.objects.filter(merchant=world.merchant, preset="registered_store").count() == 2
    make_member(world, name="新人")
    client.post(f"/segments/tags/{rule.pk}/run/")
    assert MemberTag.objects.filter(tag=rule.tag).count() == 2
    page = client.get("/segments/")
    assert "新客" in text(page) and "立即运行" in text(page)
    manager = logged_in(world.staff("store_manager"))
    assert manager.post("/segments/presets/", {"preset": "high_value"}).status_code == 403


def test_rfm_page_scores_and_lists_a_groups_members(world):
    _sales(world)
    client = logged_in(world.owner)
    assert client.post("/rfm/run/").status_code == 302
    assert RfmScore.objects.filter(merchant=world.merchant).count() == 1
    page = client.get("/rfm/")
    assert "重要价值客户" in text(page) and "1 位会员" in text(page)
    score = RfmScore.objects.get(merchant=world.merchant)
    members = client.get(f"/rfm/members/?group={score.group_code}")
    assert "王会员" in text(members)
    cell = client.get(f"/rfm/members/?r={score.r}&f={score.f}")
    assert "王会员" in text(cell)
    assert client.get("/rfm/members/?group=nope", follow=True).status_code == 200
    saved = client.post("/rfm/", {"method": "thresholds", "period_days": "365", "r_days": "30,60,120,240",
                                  "f_orders": "2,3,5,8", "m_yuan": "200,500,1000,3000"})
    assert saved.status_code == 302
    bad = client.post("/rfm/", {"method": "thresholds", "period_days": "365", "r_days": "30,20",
                                "f_orders": "2,3,5,8", "m_yuan": "200,500,1000,3000"})
    assert bad.status_code == 200 and "四个递增" in text(bad)


def test_finance_shows_takings_by_method_and_what_is_owed(world):
    _sales(world)
    member = make_member(world, name="储值会员")
    wallet_recharge(access=world.access(), member=member, store=world.stores[0], pay_fen=50000,
                    payment_method="wechat")
    finance = world.staff("finance")
    client = logged_in(finance)
    page = client.get("/finance/")
    assert page.status_code == 200
    body = text(page)
    assert "¥500.00" in body and "现金" in body and "微信支付" in body
    export = client.get("/finance/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].values)
    sales_rows = [r for r in rows[1:] if r[2] == "销售（扣除退款）"]
    assert sum(sum(v for v in r[3:] if v) for r in sales_rows) == 264.0
    assert logged_in(world.staff("cashier")).get("/finance/").status_code == 403


def test_finance_counts_card_uses_net_of_uses_given_back(world):
    from mendian.cards.services import card_use, card_use_reverse
    from mendian.cards.tests.factories import make_template, sell

    world.cut = make_product(world, name="剪发", kind="service", price_fen=8800)
    member = make_member(world, name="持卡会员")
    card = sell(world, make_template(world, items=[(world.cut, 10)], price_fen=50000), member)  # ¥50 a use
    access = world.access()
    first = card_use(access=access, member_card_id=card.pk, product_id=world.cut.pk, store_id=world.stores[0].pk)
    card_use(access=access, member_card_id=card.pk, product_id=world.cut.pk, store_id=world.stores[0].pk, qty=2)
    card_use_reverse(access=access, card_use_id=first.pk, reason="误操作")
    page = logged_in(world.staff("finance")).get("/finance/")
    table = re.search(r'data-testid="card-consumption">(.*?)</table>', page.content.decode(), re.S).group(1)
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))
    assert world.stores[0].name in cells and " 2 ¥100.00" in cells, cells
