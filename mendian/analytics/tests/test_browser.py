"""The segment builder and the dashboard in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.core.testing.browser import browser_page, log_in
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_a_segment_with_a_live_count_and_save_it(live_server):
    from mendian.analytics.models import Segment
    from mendian.members.testing import make_member
    from mendian.pos.testing import make_product
    from mendian.tenancy.testing import make_world

    from .helpers import order_at

    world = make_world("分群")
    serum = make_product(world, name="精华", price_fen=30000)
    for i in range(3):
        make_member(world, name=f"女{i}", gender="female")
    buyer = make_member(world, name="男顾客", gender="male")
    order_at(world, timezone.now() - timedelta(days=2), member=buyer, lines=[(serum, 1)])
    marketer = world.staff("marketer")
    with browser_page() as page:
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        log_in(page, live_server.url, marketer.username, PASSWORD, then="/segments/new/")
        page.wait_for_function("document.querySelector('[data-testid=live-count]').textContent.includes('4')")
        page.click("[data-testid=add-condition]")
        page.select_option("[data-testid=cond-field]", "gender")
        page.select_option("[data-testid=cond-value]", "female")
        page.wait_for_function("document.querySelector('[data-testid=live-count] .fs-5').textContent === '3'")
        # switch the condition to spend in the last 30 days of at least ¥100: the male buyer only
        page.select_option("[data-testid=cond-field]", "spend_fen_in_days")
        page.select_option("[data-testid=cond-op]", "gte")
        page.fill("[data-testid=cond-text]", "100")
        page.wait_for_function("document.querySelector('[data-testid=live-count] .fs-5').textContent === '1'")
        # an amount that is not money says why instead of a count
        page.fill("[data-testid=cond-text]", "abc")
        page.wait_for_selector("[data-testid=builder-problem]:visible")
        page.fill("[data-testid=cond-text]", "100.5")
        page.wait_for_function("document.querySelector('[data-testid=live-count] .fs-5').textContent === '1'")
        page.fill("[data-testid=segment-name]", "近30天消费满100")
        page.click("[data-testid=save-segment]")
        page.wait_for_selector("[data-testid=segment-count]")
        assert "男顾客" in page.locator("[data-testid=segment-members]").inner_text()
        assert errors == []
    segment = Segment.objects.get(merchant=world.merchant)
    assert segment.definition == {"match": "all", "conditions": [
        {"field": "spend_fen_in_days", "op": "gte", "value": 10050, "days": 30}]}
    assert segment.member_count == 1
