"""The member page in a real browser: find a member at the counter and top up their stored value."""


import pytest

from mendian.core.testing.browser import browser_page, log_in
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cashier_finds_a_member_and_recharges_with_a_plan(live_server):
    from mendian.members.testing import make_member
    from mendian.tenancy.testing import make_world
    from mendian.wallet.models import RechargePlan, WalletAccount

    world = make_world("浏览器会员")
    RechargePlan.objects.create(merchant=world.merchant, name="充300送150", pay_fen=30000, bonus_fen=15000)
    member = make_member(world, phone="13966667777", name="王小美")
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page() as page:
        log_in(page, live_server.url, cashier.username, PASSWORD, then="/members/")
        page.fill("input[name=q]", "13966667777")
        page.wait_for_function("document.querySelectorAll('#member-results tbody tr').length === 1")
        assert "139****7777" in page.locator("#member-results").inner_text()
        page.click("text=王小美")
        page.wait_for_url(f"{live_server.url}/members/{member.pk}/")
        assert page.locator("[data-testid=balance]").inner_text() == "¥0.00"
        page.click("button:has-text('充值')")
        page.select_option("select[name=plan]", label="充300送150（¥300.00 → +¥150.00）")
        page.select_option("select[name=payment_method]", "wechat")
        page.click("form[action$='/recharge/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/members/{member.pk}/")
        assert page.locator("[data-testid=balance]").inner_text() == "¥450.00"
        assert "已充值" in page.locator(".alert-success").inner_text()
    account = WalletAccount.objects.get(member=member)
    assert (account.principal_fen, account.bonus_fen) == (30000, 15000)
