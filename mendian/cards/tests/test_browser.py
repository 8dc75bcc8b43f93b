"""Cards at the counter in a real browser: the member's card pays a service line; one tap uses a card."""


import pytest

from mendian.core.testing.browser import browser_page, log_in
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_service_line_paid_by_the_members_card_at_the_counter(live_server):
    from mendian.cards.models import CardBalance, CardUse
    from mendian.members.testing import make_member
    from mendian.pos.models import Order, OrderLine
    from mendian.pos.testing import make_product
    from mendian.tenancy.testing import make_world

    from .factories import make_template, sell

    world = make_world("卡项收银")
    world.cut = make_product(world, name="精致洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    make_product(world, name="洗发水", price_fen=10000)
    member = make_member(world, phone="13977776666", name="王会员")
    card = sell(world, make_template(world, name="洗剪吹10次卡", items=[(world.cut, 10)]), member)
    cashier = world.staff("cashier", stores=[world.stores[0]])
    selector = f"[data-testid='card-left-{card.pk}-{world.cut.pk}']"
    left_is = ("(n) => { const e = document.querySelector(\"" + selector + "\");"
               " return !!e && e.textContent.includes(' ' + n + ' '); }")
    with browser_page() as page:
        log_in(page, live_server.url, cashier.username, PASSWORD, then="/counter/")
        page.fill("[data-testid=scan]", "精致洗剪吹")
        page.keyboard.press("Enter")
        page.fill("[data-testid=scan]", "洗发水")
        page.keyboard.press("Enter")
        page.fill("[data-testid=member-query]", "13977776666")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"[data-testid=pos-cards] [data-card='{card.pk}']")
        page.wait_for_function("document.querySelector('[data-testid=payable]').textContent === '¥168.00'")
        # the service line is paid by the card: it costs nothing
        page.select_option("[data-testid=line-card]", str(card.pk))
        page.wait_for_function("document.querySelector('[data-testid=payable]').textContent === '¥100.00'")
        assert page.locator("[data-testid=card-discount]").inner_text() == "−¥68.00"
        assert page.locator(".pos-cart tr").first.locator("td").last.inner_text() == "¥0.00"
        page.click("[data-testid=pay]")
        page.wait_for_function("document.querySelector('[data-testid=pos-notice]').textContent.includes('S001-')")
        # a member picked again (as by their code) and one tap uses one more
        page.fill("[data-testid=member-query]", "13977776666")
        page.keyboard.press("Enter")
        page.wait_for_function(left_is, arg=9)
        page.click(f"[data-card='{card.pk}'] [data-testid=card-use-one]")
        page.wait_for_function(left_is, arg=8)
    order = Order.objects.get(member=member, payable_fen=10000)
    line = OrderLine.objects.get(order=order, product=world.cut)
    assert (line.payable_fen, line.card_discount_fen, line.member_card_id) == (0, 6800, card.pk)
    assert CardUse.objects.get(pk=line.card_use_id).ref_id == order.pk
    assert CardUse.objects.filter(card=card, kind="use").count() == 2
    assert CardBalance.objects.get(card=card).uses_left == 8
