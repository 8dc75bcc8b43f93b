"""A full sale at the counter in a real browser: a member, points, and a split payment."""


import pytest

from mendian.core.testing.browser import browser_page, log_in
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sale_with_member_points_and_split_payment(live_server):
    from mendian.loyalty.models import LoyaltyAccount, PointsRule
    from mendian.loyalty.services import points_adjust
    from mendian.members.testing import make_member
    from mendian.pos.models import Order
    from mendian.pos.testing import make_product
    from mendian.tenancy.testing import make_world
    from mendian.wallet.models import WalletAccount
    from mendian.wallet.services import wallet_recharge

    world = make_world("收银台")
    PointsRule.objects.create(merchant=world.merchant, points_per_yuan=1, redeem_points=100, redeem_fen=100,
                              max_redeem_pct=50)
    make_product(world, name="精致洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    make_product(world, name="洗发水", price_fen=10000)
    member = make_member(world, phone="13977778888", name="李会员")
    wallet_recharge(access=world.access(), member=member, store=world.stores[0], pay_fen=5000,
                    payment_method="cash")
    points_adjust(access=world.access(), member=member, delta=500, note="开业活动")
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page() as page:
        log_in(page, live_server.url, cashier.username, PASSWORD, then="/counter/")
        page.fill("[data-testid=scan]", "洗剪吹")
        page.keyboard.press("Enter")
        page.fill("[data-testid=scan]", "洗发水")
        page.keyboard.press("Enter")
        page.fill("[data-testid=member-query]", "13977778888")
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-testid=pos-member]")
        assert page.locator("[data-testid=pos-balance]").inner_text() == "¥50.00"
        page.wait_for_function("document.querySelector('[data-testid=payable]').textContent === '¥168.00'")
        page.fill("[data-testid=pos-points-input]", "300")
        page.locator("[data-testid=pos-points-input]").dispatch_event("change")
        page.wait_for_function("document.querySelector('[data-testid=payable]').textContent === '¥165.00'")
        page.select_option("[data-testid=pay-method-0]", "stored_value")
        page.fill("[data-testid=pay-amount-0]", "50")
        page.click("[data-testid=split]")
        page.select_option("[data-testid=pay-method-1]", "cash")
        page.fill("[data-testid=pay-amount-1]", "115")
        page.fill("[data-testid=pay-tendered-1]", "120")
        assert page.locator("[data-testid=change]").inner_text().endswith("¥5.00")
        page.click("[data-testid=pay]")
        page.wait_for_function("document.querySelector('[data-testid=pos-notice]').textContent.includes('S001-')")
    order = Order.objects.get(member=member)
    assert (order.payable_fen, order.points_used, order.change_fen) == (16500, 300, 500)
    assert sorted((p.method, p.amount_fen) for p in order.payments.all()) == [("cash", 11500), ("stored_value", 5000)]
    assert WalletAccount.objects.get(member=member).principal_fen == 0
    assert LoyaltyAccount.objects.get(member=member).points == 500 - 300 + 165


def _counter_world(*, more_products=0):
    from mendian.loyalty.models import PointsRule
    from mendian.members.testing import make_member
    from mendian.pos.testing import make_product
    from mendian.tenancy.testing import make_world
    from mendian.wallet.services import wallet_recharge

    world = make_world("收银台")
    PointsRule.objects.create(merchant=world.merchant, points_per_yuan=1, redeem_points=100, redeem_fen=100,
                              max_redeem_pct=50)
    make_product(world, name="精致洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    make_product(world, name="洗发水", price_fen=10000, barcode="6901234567890")
    make_product(world, name="发圈", price_fen=333, barcode="6900000000001")
    for number in range(more_products):
        make_product(world, name=f"护发精油 {number + 1} 号", price_fen=12800)
    member = make_member(world, phone="13977778888", name="李会员")
    wallet_recharge(access=world.access(), member=member, store=world.stores[0], pay_fen=5000,
                    payment_method="cash")
    return world, member


def _log_in(page, url, staff):
    log_in(page, url, staff.username, PASSWORD, then="/counter/")


def _shows(page, testid, text):
    """Wait until the element shows exactly ``text`` (Alpine updates the page just after the event)."""
    page.wait_for_function("([id, text]) => document.querySelector(`[data-testid=${id}]`).textContent === text",
                           arg=[testid, text])


def _focused(page):
    return page.evaluate("document.activeElement.dataset.testid || document.activeElement.tagName")


def test_a_scanner_cashier_keeps_the_scan_field_and_the_shortcuts_work(live_server):
    from mendian.pos.models import Order

    world, member = _counter_world()
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page() as page:
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        _log_in(page, live_server.url, cashier)
        error, scan = page.locator("[data-testid=pos-error]"), page.locator("[data-testid=scan]")
        assert _focused(page) == "scan"
        # F9 on an empty cart says why nothing happens
        page.keyboard.press("F9")
        _shows(page, "pos-error", "请至少添加一件商品。")
        # an unknown code is reported and the next scan replaces it instead of being glued to it
        page.keyboard.type("999999")
        page.keyboard.press("Enter")
        _shows(page, "pos-error", "没有与“999999”匹配的商品。")
        page.keyboard.type("6901234567890")
        assert scan.input_value() == "6901234567890"
        page.keyboard.press("Enter")
        _shows(page, "payable", "¥100.00")
        error.wait_for(state="hidden")
        # after "+" the focus is back on the scan field; keys typed with no field focused land there too
        page.click("button[aria-label='加一']")
        assert _focused(page) == "scan"
        page.evaluate("document.activeElement.blur()")
        page.keyboard.type("6900000000001")
        page.keyboard.press("Enter")
        _shows(page, "payable", "¥203.33")
        # the zero discounts are not listed
        assert page.locator("[data-testid=totals]").inner_text().count("−") == 0
        # F4 finds the member, and with a member F4 goes to the points field instead of failing
        page.keyboard.press("F4")
        assert _focused(page) == "member-query"
        page.keyboard.type("13977778888")
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-testid=pos-member]")
        page.keyboard.press("F4")
        assert _focused(page) == "pos-points-input"
        # more stored value than the balance is flagged before paying and refused by the server
        page.wait_for_function("document.querySelector('[data-testid=pay-amount-0]').value === '203.33'")
        page.select_option("[data-testid=pay-method-0]", "stored_value")
        page.get_by_text("超过储值余额（¥50.00）。").wait_for()
        page.keyboard.press("F9")
        _shows(page, "pos-error", "储值余额不足。")
        # the cashier switches to cash and pays with Enter: a new request, not a replay of the refused one
        page.select_option("[data-testid=pay-method-0]", "cash")
        page.fill("[data-testid=pay-tendered-0]", "300")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('[data-testid=pos-notice]').textContent.includes('找零 ¥96.67')")
        # the next customer starts without the previous member
        assert page.locator("[data-testid=pos-member]").count() == 0 and _focused(page) == "scan"
        assert errors == []
    order = Order.objects.get(member=member)
    assert (order.payable_fen, order.change_fen) == (20333, 9667)
    assert list(order.payments.values_list("method", "amount_fen")) == [("cash", 20333)]


def test_the_counter_fits_a_phone(live_server):
    world, _member = _counter_world(more_products=12)
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page(locale="en-US", mobile=True) as page:
        _log_in(page, live_server.url, cashier)
        for name in ("洗剪吹", "洗发水", "发圈"):
            page.fill("[data-testid=scan]", name)
            page.keyboard.press("Enter")
        _shows(page, "payable", "¥191.33")
        # the total and the way to the payment stay at hand at the bottom of the screen, until the pay button shows
        bar = page.locator("[data-testid=phone-bar]")
        bar.wait_for()
        assert bar.inner_text().split("\n")[0] == "Items: 3 · ¥191.33"
        page.get_by_role("button", name="Go to payment").click()
        bar.wait_for(state="hidden")
        page.click("[data-testid=split]")
        page.fill("[data-testid=pay-tendered-0]", "100")
        page.wait_for_timeout(300)
        # nothing sticks out sideways, and no button's label is cut
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        cut = page.evaluate("""[...document.querySelectorAll('.pos button, .pos select')]
            .filter((el) => el.offsetParent && el.scrollWidth > el.clientWidth + 1).map((el) => el.innerText)""")
        assert cut == []
        assert page.locator("[data-testid=pay]").is_visible()
