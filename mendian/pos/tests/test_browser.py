"""A full sale at the counter in a real browser: a member, points, and a split payment."""

import os

import pytest

from mendian.core.testing.browser import browser_page
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _allow_sync_orm_in_playwright():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


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
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", cashier.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/counter/")
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
