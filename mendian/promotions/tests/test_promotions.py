import io
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from mendian.core.testing.api import error_code
from mendian.loyalty.models import Level, LoyaltyAccount, PointsRule
from mendian.members.models import Member
from mendian.members.testing import make_member
from mendian.pos.models import OrderLine
from mendian.pos.testing import make_product
from mendian.promotions.campaigns import birthday_gifts_due
from mendian.promotions.models import Coupon, CouponStock, CouponTemplate, GiftPack, GiftPackItem, PromotionSpend
from mendian.wallet.models import Recharge, WalletAccount

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shop(world):
    world.serum = make_product(world, name="精华", price_fen=20000, cost_fen=9000)
    world.cut = make_product(world, name="洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    PointsRule.objects.create(merchant=world.merchant, points_per_yuan=1)
    return world


def promotion(client, **body):
    response = client.post("/promotions", {"name": "活动", **body})
    assert response.status_code == 201, response.data
    return response.data


def pay(client, world, member, lines, **extra):
    body = {"store_id": world.stores[0].pk, "lines": [{"product_id": p.pk, "qty": q} for p, q in lines], **extra}
    if member is not None:
        body["member_id"] = member.pk
    quote = client.post("/orders/quote", body)
    assert quote.status_code == 200, quote.data
    payable = quote.data["payable_fen"]
    body["payments"] = [{"method": "cash", "amount_fen": payable}] if payable else []
    order = client.post("/orders", body, key=str(uuid.uuid4()))
    assert order.status_code == 200, order.data
    return order.data


def test_limited_price_competes_with_the_member_price_and_is_counted(shop):
    client = shop.api()
    p = promotion(client, name="春季8折", kind="limited_price", product_ids=[shop.serum.pk, shop.cut.pk], percent=80)
    member = make_member(shop)
    quote = client.post("/orders/quote", {"store_id": shop.stores[0].pk, "member_id": member.pk,
                                          "lines": [{"product_id": shop.serum.pk, "qty": 1},
                                                    {"product_id": shop.cut.pk, "qty": 1}]}).data
    # the counter names the promotion on the line it priced, with what it saved
    assert [(line["promotion_id"], line["promotion_name"], line["promotion_discount_fen"])
            for line in quote["lines"]] == [(p["id"], "春季8折", 4000), (None, "", 0)]
    order = pay(client, shop, member, [(shop.serum, 1), (shop.cut, 1)])
    assert [(line["promotion_id"], line["promotion_discount_fen"]) for line in order["lines"]] == \
        [(p["id"], 4000), (None, 0)]
    units = {line["product_id"]: line["member_unit_price_fen"] for line in order["lines"]}
    assert units == {shop.serum.pk: 16000, shop.cut.pk: 6800}  # 8折 beats no member price; 6800 beats 7040
    line = OrderLine.objects.get(order_id=order["id"], product=shop.serum)
    assert (line.promotion_id, line.promotion_discount_fen) == (p["id"], 4000)
    assert OrderLine.objects.get(order_id=order["id"], product=shop.cut).promotion_id is None
    assert PromotionSpend.objects.get(promotion_id=p["id"]).spent_fen == 4000
    figures = client.get(f"/promotions/{p['id']}/results").data
    assert figures["totals"] == {"orders": 1, "units": 1, "discount_fen": 4000, "gmv_fen": 16000 + 6800,
                                 "new_members": 1, "repeat_members": 0}
    assert [row["store"] for row in figures["by_store"]] == [shop.stores[0].name]
    # the Excel export names its figures in words and gives money in yuan
    page = Client(headers={"Accept-Language": "en"})
    page.force_login(shop.owner)
    export = page.get(f"/promotions/{p['id']}/?format=xlsx")
    totals = {row[0]: row[1] for row in load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(
        min_row=2, values_only=True)}
    assert totals["Discount given"] == 40 and totals["Orders"] == 1


def test_units_per_member_split_the_line_and_new_customer_prices(shop):
    client = shop.api()
    p = promotion(client, kind="limited_price", product_ids=[shop.serum.pk], price_fen=10000, per_member_qty=2)
    member = make_member(shop)
    first = pay(client, shop, member, [(shop.serum, 3)])
    assert [(line["qty"], line["member_unit_price_fen"]) for line in first["lines"]] == [(2, 10000), (1, 20000)]
    second = pay(client, shop, member, [(shop.serum, 1)])
    assert second["lines"][0]["member_unit_price_fen"] == 20000  # the two units are used up
    walk_in = client.post("/orders/quote", {"store_id": shop.stores[0].pk,
                                            "lines": [{"product_id": shop.serum.pk, "qty": 1}]})
    assert walk_in.data["payable_fen"] == 20000  # a per-member limit needs a member
    client.post(f"/promotions/{p['id']}/status", {"status": "ended"})
    promotion(client, name="新客价", kind="new_customer", product_ids=[shop.cut.pk], price_fen=3800)
    newcomer = make_member(shop)
    assert pay(client, shop, newcomer, [(shop.cut, 1)])["payable_fen"] == 3800
    assert pay(client, shop, newcomer, [(shop.cut, 1)])["payable_fen"] == 6800  # no longer new


def test_member_day_adds_a_discount_and_points_only_on_its_days(shop):
    client = shop.api()
    gold = Level.objects.create(merchant=shop.merchant, name="金卡", rank=1, discount_pct=90)
    today = timezone.now().astimezone(SHANGHAI)
    promotion(client, name="会员日", kind="member_day", repeat="weekly", days=[today.isoweekday()],
              extra_discount_pct=95, points_multiplier_pct=200)
    promotion(client, name="别的日子", kind="member_day", repeat="monthly", days=[(today.day % 28) + 1],
              extra_discount_pct=50)
    member = make_member(shop)
    LoyaltyAccount.objects.filter(member=member).update(level=gold)
    order = pay(client, shop, member, [(shop.serum, 1)])
    assert order["lines"][0]["member_unit_price_fen"] == 17100  # 20000 × 90% × 95%
    assert order["points_earned"] == 171 * 2


def test_recharge_bonus_with_a_budget(shop):
    client = shop.api()
    promotion(client, name="充值送10%", kind="recharge_bonus", bonus_pct=10, min_pay_fen=50000, budget_fen=8000,
              store_ids=[shop.stores[0].pk])
    member = make_member(shop)

    def recharge(pay_fen, store_index=0):
        return client.post(f"/members/{member.pk}/recharge", {"store_id": shop.stores[store_index].pk,
                                                              "pay_fen": pay_fen, "payment_method": "cash"},
                           key=str(uuid.uuid4()))

    assert recharge(30000).status_code == 201  # below the threshold: no extra
    assert recharge(50000).status_code == 201  # +5000
    assert recharge(50000, store_index=1).status_code == 201  # not in this store
    assert recharge(50000).status_code == 201  # 5000 would pass the 8000 budget: none
    extras = list(Recharge.objects.filter(member=member).order_by("id").values_list("promotion_bonus_fen", flat=True))
    assert extras == [0, 5000, 0, 0]
    wallet = WalletAccount.objects.get(member=member)
    assert wallet.bonus_fen == 5000 and wallet.principal_fen == 180000
    call_command("check_ledgers")


def test_budget_stops_a_price_promotion_when_it_is_spent(shop):
    client = shop.api()
    p = promotion(client, kind="limited_price", product_ids=[shop.serum.pk], price_fen=15000, budget_fen=12000)
    member = make_member(shop)
    assert pay(client, shop, member, [(shop.serum, 2)])["payable_fen"] == 30000  # 10000 of 12000
    assert pay(client, shop, member, [(shop.serum, 1)])["payable_fen"] == 20000  # 5000 more would pass it
    assert PromotionSpend.objects.get(promotion_id=p["id"]).spent_fen == 10000


def _pack(world, name="礼包"):
    template = CouponTemplate.objects.create(merchant=world.merchant, name=f"{name}券", kind="voucher", amount_fen=1000)
    CouponStock.objects.create(template=template)
    pack = GiftPack.objects.create(merchant=world.merchant, name=name)
    GiftPackItem.objects.create(pack=pack, template=template, quantity=2)
    return pack, template


def test_welcome_first_visit_and_birthday_gifts_come_once(shop):
    client = shop.api()
    welcome, welcome_coupon = _pack(shop, "注册礼")
    first, first_coupon = _pack(shop, "进店礼")
    birthday, birthday_coupon = _pack(shop, "生日礼")
    promotion(client, name="注册有礼", kind="welcome_gift", gift_pack_id=welcome.pk)
    promotion(client, name="进店有礼", kind="first_visit_gift", gift_pack_id=first.pk)
    promotion(client, name="生日礼", kind="birthday_gift", gift_pack_id=birthday.pk)
    member = make_member(shop, birthday=date(1990, 12, 3))
    assert Coupon.objects.filter(member=member, template=welcome_coupon).count() == 2
    pay(client, shop, member, [(shop.cut, 1)])
    pay(client, shop, member, [(shop.cut, 1)])
    assert Coupon.objects.filter(member=member, template=first_coupon).count() == 2
    lunar = make_member(shop, birthday=date(1985, 1, 10), birthday_is_lunar=True)  # a lunar birthday
    other = make_member(shop, birthday=date(1990, 5, 3))
    Member.objects.filter(pk=lunar.pk).update(lunar_birthday_month=10, lunar_birthday_day=23)  # 2026-12-01 solar
    given = birthday_gifts_due(merchant=shop.merchant, today=date(2026, 12, 1))
    assert given == 2
    assert birthday_gifts_due(merchant=shop.merchant, today=date(2026, 12, 2)) == 0  # once a year
    got = set(Coupon.objects.filter(template=birthday_coupon).values_list("member_id", flat=True))
    assert got == {member.pk, lunar.pk} and other.pk not in got
    # Next year the solar member again in December; the lunar one in the month their lunar date falls in.
    assert birthday_gifts_due(merchant=shop.merchant, today=date(2027, 12, 1)) == 1
    from mendian.members.birthdays import LunarDate, lunar_birthday_in

    solar_2027 = lunar_birthday_in(2027, LunarDate(month=10, day=23, leap=False))
    assert solar_2027.month != 12
    assert birthday_gifts_due(merchant=shop.merchant, today=solar_2027.replace(day=1)) == 1


def test_stores_opt_in_and_set_their_percent_within_limits(shop):
    client = shop.api()
    p = promotion(client, kind="limited_price", product_ids=[shop.serum.pk], percent=80, stores_opt_in=True,
                  store_min_percent=70, store_max_percent=90)
    member = make_member(shop)
    quote = {"store_id": shop.stores[0].pk, "member_id": member.pk,
             "lines": [{"product_id": shop.serum.pk, "qty": 1}]}
    assert client.post("/orders/quote", quote).data["payable_fen"] == 20000  # not opted in yet
    manager = shop.api(shop.staff("store_manager", stores=[shop.stores[0]]))
    joined = manager.put(f"/promotions/{p['id']}/stores/{shop.stores[0].pk}", {"enabled": True, "percent": 75})
    assert joined.status_code == 200
    assert client.post("/orders/quote", quote).data["payable_fen"] == 15000
    too_low = manager.put(f"/promotions/{p['id']}/stores/{shop.stores[0].pk}", {"enabled": True, "percent": 60})
    assert too_low.status_code == 422 and error_code(too_low) == "percent_out_of_limits"
    assert manager.put(f"/promotions/{p['id']}/stores/{shop.stores[1].pk}", {"enabled": True}).status_code == 404


def test_selling_below_cost_is_flagged(shop):
    client = shop.api()
    p = promotion(client, kind="limited_price", product_ids=[shop.serum.pk], price_fen=8000)
    quote = client.post("/orders/quote", {"store_id": shop.stores[0].pk,
                                          "lines": [{"product_id": shop.serum.pk, "qty": 1}]})
    assert quote.data["warnings"] == [f"below_cost:{shop.serum.pk}"]
    page = Client()
    page.force_login(shop.owner)
    response = page.get(f"/promotions/{p['id']}/")
    assert 'data-testid="below-cost"' in response.content.decode() and "精华" in response.content.decode()
    export = page.get(f"/promotions/{p['id']}/?format=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


@pytest.mark.parametrize(("body", "code"), [
    ({"kind": "limited_price", "product_ids": [], "percent": 80}, "products_required"),
    ({"kind": "limited_price", "percent": 100}, "invalid_percent"),
    ({"kind": "limited_price", "percent": 80, "price_fen": 100}, "price_or_percent"),
    ({"kind": "member_day", "repeat": "weekly", "days": [8], "extra_discount_pct": 95}, "invalid_days"),
    ({"kind": "member_day", "repeat": "weekly", "days": [1]}, "member_day_empty"),
    ({"kind": "recharge_bonus", "bonus_pct": 0}, "invalid_bonus_pct"),
    ({"kind": "welcome_gift", "gift_pack_id": 999999}, "gift_pack_not_found"),
    ({"kind": "recharge_bonus", "bonus_pct": 5, "starts_at": "2026-12-02T00:00:00+08:00",
      "ends_at": "2026-12-01T00:00:00+08:00"}, "invalid_period"),
])
def test_bad_promotions_are_refused(shop, body, code):
    client = shop.api()
    if body.get("kind") == "limited_price" and "product_ids" not in body:
        body = {**body, "product_ids": [shop.serum.pk]}
    response = client.post("/promotions", {"name": "坏活动", **body})
    assert response.status_code in (404, 422) and error_code(response) == code, response.data


def test_a_day_of_results_is_the_merchants_local_day(shop):
    client = shop.api()
    p = promotion(client, kind="limited_price", product_ids=[shop.serum.pk], percent=50)
    member = make_member(shop)
    pay(client, shop, member, [(shop.serum, 1)])
    today = timezone.now().astimezone(SHANGHAI).date()
    figures = client.get(f"/promotions/{p['id']}/results?date_from={today}&date_to={today}").data
    assert [(row["day"], row["discount_fen"]) for row in figures["by_day"]] == [(today.isoformat(), 10000)]
    yesterday = today - timedelta(days=1)
    empty = client.get(f"/promotions/{p['id']}/results?date_from={yesterday}&date_to={yesterday}").data
    assert empty["totals"]["orders"] == 0
    backwards = client.get(f"/promotions/{p['id']}/results?date_from={today}&date_to={yesterday}")
    assert backwards.status_code == 422 and error_code(backwards) == "invalid_period"
