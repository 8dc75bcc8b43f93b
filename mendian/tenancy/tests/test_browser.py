"""The login → stores flow in a real browser (Debian's chromium), on a counter PC and on a phone."""


import pytest

from mendian.core.testing.browser import browser_page, log_in
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_then_stores_page(live_server):
    from mendian.tenancy.testing import make_world

    world = make_world("浏览器")
    with browser_page() as page:
        page.goto(f"{live_server.url}/stores/")
        assert "/login/" in page.url
        page.fill("input[name=username]", world.owner.username)
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        assert page.locator(".alert-danger").inner_text().strip() == "用户名或密码错误。"
        page.fill("input[name=username]", world.owner.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/stores/")
        assert page.locator("h1").inner_text() == "门店"
        rows = page.locator("#store-table tbody tr")
        assert rows.count() == 2
        # live search narrows the table without reloading the page (htmx)
        page.fill("input[name=q]", "门店2")
        page.wait_for_function("document.querySelectorAll('#store-table tbody tr').length === 1")
        assert world.stores[1].name in page.locator("#store-table").inner_text()


def test_phone_layout_has_a_working_menu(live_server):
    from mendian.tenancy.testing import make_world

    world = make_world("手机")
    with browser_page(mobile=True) as page:
        log_in(page, live_server.url, world.owner.username, PASSWORD)
        staff_link = page.locator("#side-nav a[href='/staff/']")
        assert not staff_link.is_visible()
        page.click("button.navbar-toggler")
        # Bootstrap marks the menu "collapse show" once its opening transition has ended; a tap
        # while it is still sliding open can land beside the link
        page.wait_for_selector("#side-nav.collapse.show")
        staff_link.wait_for(state="visible")
        staff_link.click()
        page.wait_for_url(f"{live_server.url}/staff/")
        assert world.owner.username in page.locator("#staff-table").inner_text()
