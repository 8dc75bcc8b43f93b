"""Coupons at the counter in a real browser: the best one applied by itself, switching, redeem codes."""

import json
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from mendian.core.testing.browser import browser_page, log_in
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shop():
    """洗发水 ¥100 and 洗剪吹 ¥88 (members ¥68); coupon templates 满100减20, 9折 (90% paid) and 满300减50."""
    from mendian.pos.testing import make_product
    from mendian.promotions.coupons import template_create
    from mendian.tenancy.testing import make_world

    world = make_world("券收银")
    make_product(world, name="洗发水", price_fen=10000, barcode="6901234567890")
    make_product(world, name="精致洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    access = world.access()
    world.templates = {
        "amount": template_create(access=access, name="满100减20", kind="amount_off", amount_fen=2000,
                                  min_spend_fen=10000),
        "percent": template_create(access=access, name="九折券", kind="percent_off", percent=90, min_spend_fen=0),
        "big": template_create(access=access, name="满300减50", kind="amount_off", amount_fen=5000,
                               min_spend_fen=30000),
    }
    return world


def _give(world, member, *kinds):
    from mendian.promotions.coupons import issue_coupons
    from mendian.promotions.models import Coupon

    coupons = []
    for kind in kinds:
        with transaction.atomic():  # the stock is locked for the issue, as in every caller
            result = issue_coupons(template=world.templates[kind], member_ids=[member.pk], when=timezone.now(),
                                   tz_name=world.merchant.timezone)
        coupons.append(Coupon.objects.get(pk=result.coupon_ids[0]))
    return coupons


def _shows(page, testid, text):
    """Wait until the element shows exactly ``text`` (Alpine updates the page just after the event)."""
    page.wait_for_function("([id, text]) => document.querySelector(`[data-testid=${id}]`)?.textContent === text",
                           arg=[testid, text])


def _ticked(page):
    """The ids of the ticked coupons, and of those greyed out with the reason in words."""
    return page.evaluate("""() => {
        const rows = [...document.querySelectorAll('.pos-coupon')];
        return {
          ticked: rows.filter((r) => r.querySelector('input').checked).map((r) => +r.dataset.coupon),
          reasons: Object.fromEntries(rows.map((r) => [r.dataset.coupon, r.querySelector('[data-testid=coupon-reason]')
            .offsetParent ? r.querySelector('[data-testid=coupon-reason]').textContent : ''])),
          disabled: rows.filter((r) => r.querySelector('input').disabled).map((r) => +r.dataset.coupon),
        };
    }""")


def _sent(page_requests, path):
    return [json.loads(r.post_data) for r in page_requests if r.url.endswith(path) and r.method == "POST"]


def test_the_best_coupon_applies_by_itself_and_the_cashier_switches_to_the_other(live_server):
    from mendian.members.testing import make_member
    from mendian.pos.models import Order
    from mendian.promotions.models import Coupon

    world = _shop()
    member = make_member(world, phone="13911112222", name="王会员")
    amount, percent = _give(world, member, "amount", "percent")
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page() as page:
        errors, requests = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request))
        log_in(page, live_server.url, cashier.username, PASSWORD, then="/counter/")
        for name in ("洗发水", "洗剪吹"):
            page.fill("[data-testid=scan]", name)
            page.keyboard.press("Enter")
        page.fill("[data-testid=member-query]", "13911112222")
        page.keyboard.press("Enter")
        # ¥100 + ¥68 (member price): 满100减20 takes ¥20, the 九折券 only ¥16.80, so the first is chosen by itself
        _shows(page, "payable", "¥148.00")
        assert _ticked(page) == {"ticked": [amount.pk], "disabled": [],
                                 "reasons": {str(amount.pk): "", str(percent.pk): "不可与满100减20同时使用"}}
        assert page.locator("[data-testid=coupons-auto]").inner_text() == "自动选择最优"
        assert "优惠券\n−¥20.00" in page.locator("[data-testid=totals]").inner_text()
        assert _sent(requests, "/orders/quote")[-1]["coupon_ids"] == "auto"
        # the cashier ticks the other one: it replaces the first, which cannot be used beside it
        page.click(f"[data-testid=coupon-{percent.pk}] input")
        _shows(page, "payable", "¥151.20")
        assert _ticked(page)["ticked"] == [percent.pk]
        assert _ticked(page)["reasons"][str(amount.pk)] == "不可与九折券同时使用"
        assert "优惠券\n−¥16.80" in page.locator("[data-testid=totals]").inner_text()
        assert _sent(requests, "/orders/quote")[-1]["coupon_ids"] == [percent.pk]
        # back to the best, then the other one again, this time with the keyboard
        page.click("[data-testid=coupons-best]")
        _shows(page, "payable", "¥148.00")
        assert _ticked(page)["ticked"] == [amount.pk]
        page.focus(f"[data-testid=coupon-{percent.pk}] input")
        page.keyboard.press("Space")
        _shows(page, "payable", "¥151.20")
        # unticking the only coupon leaves none
        page.keyboard.press("Space")
        _shows(page, "payable", "¥168.00")
        assert _ticked(page)["ticked"] == [] and "优惠券" not in page.locator("[data-testid=totals]").inner_text()
        page.keyboard.press("Space")
        _shows(page, "payable", "¥151.20")
        page.wait_for_function("document.querySelector('[data-testid=pay-amount-0]').value === '151.20'")
        page.keyboard.press("F9")
        page.wait_for_function("document.querySelector('[data-testid=pos-notice]').textContent.includes('S001-')")
        # the sale sent the coupon its last quote applied
        assert _sent(requests, "/orders")[-1]["coupon_ids"] == [percent.pk]
        assert errors == []
    order = Order.objects.get(member=member)
    assert (order.subtotal_fen, order.member_discount_fen, order.coupon_discount_fen, order.payable_fen) == \
        (18800, 2000, 1680, 15120)
    assert order.coupons_applied == [percent.pk]
    assert sum(order.lines.values_list("coupon_discount_fen", flat=True)) == 1680
    used = Coupon.objects.get(pk=percent.pk)
    assert (used.status, used.order_id, used.discount_fen) == ("used", order.pk, 1680)
    assert Coupon.objects.get(pk=amount.pk).status == "unused"


def test_redeem_codes_select_the_member_and_tick_the_coupon(live_server):
    from mendian.members.testing import make_member
    from mendian.pos.models import Order
    from mendian.promotions.models import Coupon

    world = _shop()
    walk_in = make_member(world, phone="13933334444", name="赵会员")
    owner = make_member(world, phone="13955556666", name="钱会员")
    [other_coupon] = _give(world, walk_in, "amount")
    big, percent, used, expired = _give(world, owner, "big", "percent", "amount", "amount")
    # noon UTC: the same day wherever the browser is
    Coupon.objects.filter(pk=used.pk).update(status="used", used_at=datetime(2026, 3, 8, 12, tzinfo=UTC))
    Coupon.objects.filter(pk=expired.pk).update(valid_until=datetime(2026, 5, 1, 12, tzinfo=UTC))
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page() as page:
        errors, requests = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request))
        log_in(page, live_server.url, cashier.username, PASSWORD, then="/counter/")
        scan = page.locator("[data-testid=scan]")
        page.fill("[data-testid=scan]", "6901234567890")
        page.keyboard.press("Enter")
        page.fill("[data-testid=member-query]", "13933334444")
        page.keyboard.press("Enter")
        _shows(page, "payable", "¥80.00")
        # unknown, used and expired codes say so, and stay selected so that the next scan replaces them
        for code, message in [("000000000000000000", "没有这个核销码的优惠券。"),
                              (used.code, "优惠券 满100减20 已于 2026-03-08 使用。"),
                              (expired.code, "优惠券 满100减20 已于 2026-05-01 过期。")]:
            scan.fill(code)
            page.keyboard.press("Enter")
            _shows(page, "pos-error", message)
            assert page.evaluate("document.activeElement.dataset.testid") == "scan"
            assert page.evaluate("document.activeElement.selectionEnd - document.activeElement.selectionStart") == 18
        assert Coupon.objects.get(pk=used.pk).order_id is None
        assert page.locator("[data-testid=pos-member]").inner_text().startswith("赵会员")
        # another member's code, scanned: that member is selected and the coupon ticked
        scan.fill(percent.code)
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('[data-testid=pos-member]')?.textContent.includes('钱会员')")
        _shows(page, "payable", "¥90.00")
        page.wait_for_function("document.querySelector('[data-testid=pos-notice]')?.textContent === "
                               "'已选择会员 钱会员 · 已应用优惠券：九折券'")
        assert scan.input_value() == "" and page.locator("[data-testid=pos-error-box]").is_hidden()
        state = _ticked(page)
        assert state["ticked"] == [percent.pk] and state["disabled"] == [big.pk]
        assert state["reasons"][str(big.pk)] == "满 ¥300.00 可用"
        # a code typed into the coupon field, below its threshold: chosen, and it applies once the order reaches it
        page.fill("[data-testid=coupon-code]", big.code)
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('[data-testid=pos-notice]')?.textContent.startsWith("
                               "'已选择优惠券 满300减50')")
        assert _ticked(page)["reasons"][str(big.pk)] == "满 ¥300.00 可用 · 已选择，订单满足条件后使用"
        _shows(page, "payable", "¥90.00")
        for _ in range(2):
            page.fill("[data-testid=scan]", "6901234567890")
            page.keyboard.press("Enter")
        # ¥300: the 九折券 cannot join 满300减50, the last one chosen, which now applies
        _shows(page, "payable", "¥250.00")
        assert _ticked(page)["ticked"] == [big.pk]
        page.click("[data-testid=pay]")
        page.wait_for_function("document.querySelector('[data-testid=pos-notice]').textContent.includes('S001-')")
        assert _sent(requests, "/orders")[-1]["coupon_ids"] == [big.pk]
        assert errors == []
    order = Order.objects.get(member=owner)
    assert (order.payable_fen, order.coupon_discount_fen, order.coupons_applied) == (25000, 5000, [big.pk])
    assert Coupon.objects.get(pk=big.pk).status == "used"
    assert Coupon.objects.get(pk=percent.pk).status == "unused"
    assert Coupon.objects.get(pk=other_coupon.pk).status == "unused"


def test_a_promotion_price_is_named_on_its_line(live_server):
    from mendian.catalog.models import Product
    from mendian.promotions.campaigns import promotion_save

    world = _shop()
    shampoo = Product.objects.get(merchant=world.merchant, name="洗发水")
    promotion_save(access=world.access(), name="春季特价", kind="limited_price", product_ids=[shampoo.pk], percent=80)
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page() as page:
        log_in(page, live_server.url, cashier.username, PASSWORD, then="/counter/")
        for _ in range(2):
            page.fill("[data-testid=scan]", "6901234567890")
            page.keyboard.press("Enter")
        # two at ¥100, 8折: ¥160, the promotion named on the line with what it saved
        _shows(page, "payable", "¥160.00")
        _shows(page, "line-promotion", "春季特价 −¥40.00")
