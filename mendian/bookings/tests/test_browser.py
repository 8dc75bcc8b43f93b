"""The appointment calendar in a real browser: the booking dialog's slot search books a time that then
shows on the calendar, and a drag onto a taken time is refused with the reason."""


import pytest

from mendian.core.testing.browser import browser_page, log_in
from mendian.tenancy.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_book_from_the_dialog_and_see_it_on_the_calendar(live_server):
    from mendian.bookings.models import Booking
    from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
    from mendian.members.testing import make_member
    from mendian.tenancy.testing import make_world

    world = make_world("浏览器预约")
    service = make_service(world, name="精致洗剪吹", duration_min=60)
    make_resource(world, [service], name="Tony 老师", weekly=[{"weekday": d, "start": "10:00", "end": "13:00"}
                                                            for d in range(7)])
    member = make_member(world, phone="13955556666", name="王小美")
    day = future_day(world)
    make_booking(world, service, make_member(world, name="李先生"), at(day, "12:00"))
    cashier = world.staff("cashier", stores=[world.stores[0]])
    with browser_page() as page:
        log_in(page, live_server.url, cashier.username, PASSWORD,
               then=f"/bookings/?store={world.stores[0].pk}&date={day.isoformat()}")
        assert page.locator("[data-testid=booking-block]").count() == 1
        page.click("[data-testid=new-booking]")
        page.fill("[data-testid=member-q]", "6666")
        page.click("[data-testid=member-option]")
        assert "王小美" in page.locator("[data-testid=chosen-member]").inner_text()
        page.select_option("[data-testid=service]", label="精致洗剪吹 (60 分钟)")
        page.click("[data-testid=find-slots]")
        page.wait_for_selector("[data-testid=slot]")
        times = page.locator("[data-testid=slot]").all_inner_texts()
        assert [t.split()[0] for t in times] == ["10:00", "10:15", "10:30", "10:45", "11:00"]
        page.click("[data-testid=slot]:has-text('10:30')")
        page.wait_for_selector("[data-testid=notice]:has-text('已预约')")
        # the calendar refreshes by itself and shows the new booking
        page.wait_for_function("document.querySelectorAll('[data-testid=booking-block]').length === 2")
        assert "10:30 王小美" in page.locator("[data-testid=calendar]").inner_text()
        # dragging it onto Mr Li's 12:00 is refused with the reason, and it stays
        block = page.locator("[data-testid=booking-block]:has-text('王小美')")
        column = page.locator(".cal-col").first
        box = column.bounding_box()
        block.drag_to(column, target_position={"x": box["width"] / 2, "y": 4 * 60 + 5})
        page.wait_for_selector("[data-testid=move-notice]")
        assert "该时间已被预约" in page.locator("[data-testid=move-notice]").inner_text()
    booking = Booking.objects.get(member=member)
    assert booking.start_at == at(day, "10:30") and booking.status == "confirmed"
