"""The appointment pages: calendar with the booking dialog, moves, actions, resources, classes, plans."""

import json
import re

import pytest
from django.test import Client

from mendian.bookings.models import Booking, ClassBooking, ClassSession, PlanTemplate, Resource, ServicePlan
from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
from mendian.members.testing import make_member

pytestmark = pytest.mark.django_db


def logged_in(staff, language="zh-hans"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(staff)
    return client


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def test_the_calendar_shows_bookings_by_resource_and_by_week(world):
    service = make_service(world, name="精致洗剪吹")
    anna = make_resource(world, [service], name="安娜")
    make_resource(world, [service], name="波波")
    day = future_day(world)
    member = make_member(world, name="王小美")
    booking = make_booking(world, service, member, at(day, "10:00"), resource=anna)
    client = logged_in(world.owner)
    page = client.get(f"/bookings/?store={world.stores[0].pk}&date={day}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "安娜" in body and "波波" in body and "10:00 王小美" in text(page)
    assert f'data-booking="{booking.pk}"' in body and 'draggable="true"' in body
    assert 'style="top: 120px; height: 60px' in body  # 10:00 is 120 minutes after 08:00
    # the stylists work 09:00–21:00: 08:00–09:00 and 21:00–22:00 are shaded in both columns
    assert body.count('class="cal-off" style="top: 0px; height: 60px"') == 2
    assert body.count('class="cal-off" style="top: 780px; height: 60px"') == 2
    week = client.get(f"/bookings/?store={world.stores[0].pk}&date={day}&view=week&resource={anna.pk}")
    assert "10:00 王小美" in text(week) and "精致洗剪吹 · 安娜" in text(week)
    assert client.get(f"/bookings/?store={world.stores[0].pk}&date=9999-12-31&view=week").status_code == 200
    assert client.get(f"/bookings/classes/?store={world.stores[0].pk}&date=0001-01-01").status_code == 200
    english = logged_in(world.owner, "en").get(f"/bookings/?store={world.stores[0].pk}&date={day}")
    assert "New booking" in english.content.decode() and "Find free times" in english.content.decode()


def test_the_booking_dialog_finds_times_and_books(world):
    service = make_service(world, duration_min=60)
    anna = make_resource(world, [service], name="安娜", weekly=[{"weekday": d, "start": "10:00", "end": "12:00"}
                                                               for d in range(7)])
    member = make_member(world, name="李雷")
    day = future_day(world)
    client = logged_in(world.staff("cashier"))
    found = client.get("/bookings/members/", {"q": member.phone[-4:]})
    assert "李雷" in found.content.decode()
    slots = client.get("/bookings/slots/", {"store": world.stores[0].pk, "product_id": service.pk,
                                            "date": day.isoformat()})
    assert re.findall(r'name="start" value="([^"]+)"', slots.content.decode()) == [
        f"{day}T10:00", f"{day}T10:15", f"{day}T10:30", f"{day}T10:45", f"{day}T11:00"]
    form = {"store": world.stores[0].pk, "member_id": member.pk, "product_id": service.pk, "start": f"{day}T10:30",
            "once": "dialog-key-1"}
    response = client.post("/bookings/book/", form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["bookingsChanged"] is True
    # a fresh key comes back for the next booking; a double click with the old one books nothing more
    assert re.search(r'name="once" id="book-once" value="[0-9a-f]{32}" hx-swap-oob="true"', response.content.decode())
    twice = client.post("/bookings/book/", form | {"start": f"{day}T11:00"}, headers={"HX-Request": "true"})
    assert "该预约已提交，无需重复操作。" in text(twice)
    assert Booking.objects.filter(member=member).count() == 1
    booking = Booking.objects.get(member=member)
    assert booking.start_at == at(day, "10:30") and list(booking.resources.all()) == [anna]
    # the same time again: the reason shows in the dialog, nothing is booked
    again = client.post("/bookings/book/", {"store": world.stores[0].pk, "member_id": make_member(world).pk,
                                            "product_id": service.pk, "start": f"{day}T10:45"},
                        headers={"HX-Request": "true"})
    assert "已被预约" in text(again) and again["HX-Retarget"] == "#booking-notice"
    assert Booking.objects.filter(merchant=world.merchant).count() == 1
    none = client.post("/bookings/book/", {"store": world.stores[0].pk, "product_id": service.pk,
                                           "start": f"{day}T10:45"}, headers={"HX-Request": "true"})
    assert "请先选择会员" in text(none)


def test_dragging_a_booking_moves_it_or_says_why_not(world):
    service = make_service(world)
    anna = make_resource(world, [service], name="安娜")
    bo = make_resource(world, [service], name="波波")
    day = future_day(world)
    moving = make_booking(world, service, make_member(world), at(day, "10:00"), resource=anna)
    make_booking(world, service, make_member(world), at(day, "14:00"), resource=bo)
    client = logged_in(world.owner)
    refused = client.post(f"/bookings/{moving.pk}/move/", {"start": f"{day}T14:30", "resource_id": bo.pk},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 409
    assert refused.json() == {"ok": False, "code": "slot_taken", "message": "该时间已被预约，请选择其他时间。"}
    outside = client.post(f"/bookings/{moving.pk}/move/", {"start": f"{day}T22:30", "resource_id": bo.pk},
                          headers={"Accept": "application/json"})
    assert outside.status_code == 422 and outside.json()["code"] == "slot_unavailable"
    assert Booking.objects.get(pk=moving.pk).start_at == at(day, "10:00")
    moved = client.post(f"/bookings/{moving.pk}/move/", {"start": f"{day}T16:00", "resource_id": bo.pk},
                        headers={"Accept": "application/json"})
    assert moved.json()["ok"] is True
    assert Booking.objects.get(pk=moving.pk).start_at == at(day, "16:00")
    assert list(Booking.objects.get(pk=moving.pk).resources.all()) == [bo]


def test_booking_detail_and_its_actions(world):
    service = make_service(world)
    make_resource(world, [service])
    booking = make_booking(world, service, make_member(world, name="韩梅梅"), at(future_day(world), "10:00"))
    client = logged_in(world.owner)
    detail = client.get(f"/bookings/{booking.pk}/", headers={"HX-Request": "true"})
    assert "韩梅梅" in text(detail) and "签到" in text(detail) and "取消预约" in text(detail)
    assert "爽约" not in text(detail)  # not started yet: no no-show button
    early = client.post(f"/bookings/{booking.pk}/check-in/", headers={"HX-Request": "true"})
    assert "预约前两小时起可以签到" in text(early)
    cancelled = client.post(f"/bookings/{booking.pk}/cancel/", headers={"HX-Request": "true"})
    assert cancelled.status_code == 200 and Booking.objects.get(pk=booking.pk).status == "cancelled"


def test_resources_page_sets_schedule_days_off_and_needs(world):
    service = make_service(world, name="烫发")
    client = logged_in(world.owner)
    created = client.post("/bookings/resources/new/", {"store": world.stores[0].pk, "name": "VIP 房",
                                                       "kind": "room", "capacity": "1", "product_ids": [service.pk]})
    resource = Resource.objects.get(merchant=world.merchant, name="VIP 房")
    assert created["Location"] == f"/bookings/resources/{resource.pk}/"
    client.post(f"/bookings/resources/{resource.pk}/schedule/", {"action": "weekly", "start_0_0": "09:00",
                                                                  "end_0_0": "12:00", "start_0_1": "13:00",
                                                                  "end_0_1": "18:00"})
    resource.refresh_from_db()
    assert resource.weekly == [{"weekday": 0, "start": "09:00", "end": "12:00"},
                               {"weekday": 0, "start": "13:00", "end": "18:00"}]
    client.post(f"/bookings/resources/{resource.pk}/schedule/", {"action": "add_exception", "date": "2030-05-01",
                                                                  "whole_day": "1", "note": "劳动节"})
    assert "2030-05-01" in text(client.get(f"/bookings/resources/{resource.pk}/"))
    bad = client.post(f"/bookings/resources/{resource.pk}/schedule/", {"action": "weekly", "start_1_0": "18:00",
                                                                        "end_1_0": "09:00"}, follow=True)
    assert "结束时间" in text(bad) or "晚于" in text(bad)
    resource.refresh_from_db()
    assert len(resource.weekly) == 2
    client.post(f"/bookings/services/{service.pk}/needs/", {"kinds": ["staff", "room"]})
    assert "烫发" in text(client.get("/bookings/resources/"))
    cashier = logged_in(world.staff("cashier"))
    assert cashier.post("/bookings/resources/new/", {"name": "x"}).status_code == 403
    assert "添加资源" not in text(cashier.get("/bookings/resources/"))


def test_timetable_class_attendance_and_waitlist_pages(world):
    client = logged_in(world.owner)
    day = future_day(world)
    client.post("/bookings/classes/new/", {"store": world.stores[0].pk, "name": "晨间瑜伽", "start": f"{day}T08:00",
                                           "duration_min": "60", "capacity": "1", "repeat_weeks": "2"})
    sessions = list(ClassSession.objects.filter(merchant=world.merchant).order_by("start_at"))
    assert len(sessions) == 2 and sessions[0].start_at == at(day, "08:00")
    timetable = client.get(f"/bookings/classes/?store={world.stores[0].pk}&date={day}")
    assert "晨间瑜伽" in text(timetable)
    first, second = make_member(world, name="甲会员"), make_member(world, name="乙会员")
    client.post(f"/bookings/classes/{sessions[0].pk}/book/", {"member_id": first.pk})
    client.post(f"/bookings/classes/{sessions[0].pk}/book/", {"member_id": second.pk, "waitlist": "1"})
    page = text(client.get(f"/bookings/classes/{sessions[0].pk}/"))
    assert "甲会员" in page and "乙会员" in page and "1 / 1" not in page
    place = ClassBooking.objects.get(member=first)
    client.post(f"/bookings/class-places/{place.pk}/cancel/")
    assert ClassBooking.objects.get(member=second).status == "confirmed"


def test_plans_page_and_the_member_profile_section(world):
    service = make_service(world, name="补水护理")
    make_resource(world, [service])
    member = make_member(world, name="林黛玉")
    client = logged_in(world.owner)
    client.post("/bookings/plans/new/", {"name": "补水疗程", "product_id": service.pk, "sessions": "6",
                                         "interval_days": "14"})
    template = PlanTemplate.objects.get(merchant=world.merchant)
    day = future_day(world)
    assigned = client.post(f"/members/{member.pk}/bookings/plan/", {
        "template_id": template.pk, "staff_id": world.owner.pk, "store_id": world.stores[0].pk,
        "start_date": day.isoformat()})
    plan = ServicePlan.objects.get(member=member)
    assert assigned["Location"] == f"/bookings/plans/{plan.pk}/"
    assert "已完成 0/6 次" in text(client.get(f"/bookings/plans/{plan.pk}/"))
    make_booking(world, service, member, at(day, "10:00"), plan_id=plan.pk)
    section = client.get(f"/members/{member.pk}/bookings/", headers={"HX-Request": "true"})
    assert "补水护理" in text(section) and "补水疗程" in text(section) and "0/6" in text(section)
    assert f"/bookings/?member={member.pk}" in section.content.decode()
    preset = client.get(f"/bookings/?member={member.pk}").content.decode()
    assert f"member: '{member.pk}'" in preset and "林黛玉" in preset and 'data-open-on-load="1"' in preset
    profile = client.get(f"/members/{member.pk}/")
    assert f"/members/{member.pk}/bookings/" in profile.content.decode()
    assert "补水疗程" in text(client.get("/bookings/plans/"))


def test_check_in_offers_the_members_usable_cards_and_uses_the_chosen_one(world):
    from datetime import timedelta

    from django.utils import timezone

    from mendian.bookings.models import BookingResource
    from mendian.cards.models import CardBalance, CardUse
    from mendian.cards.tests.factories import make_template, sell

    service = make_service(world)
    make_resource(world, [service])
    member = make_member(world, name="持卡客")
    booking = make_booking(world, service, member, at(future_day(world), "10:00"))
    card = sell(world, make_template(world, items=[(service, 5)], price_fen=30000, name="护理5次卡"), member)
    sell(world, make_template(world, items=[(service, 1)], price_fen=8000, name="别人的卡"), make_member(world))
    start = timezone.now() - timedelta(minutes=30)  # it has begun: check-in is open
    Booking.objects.filter(pk=booking.pk).update(start_at=start, end_at=start + timedelta(hours=1),
                                                 block_end_at=start + timedelta(hours=1))
    BookingResource.objects.filter(booking=booking).update(start_at=start, block_end_at=start + timedelta(hours=1))
    client = logged_in(world.owner)
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', page.split('data-testid="check-in-card"')[1]
                         .split("</select>")[0])
    assert options == [(str(card.pk), "护理5次卡 · 剩余 5 次")]
    client.post(f"/bookings/{booking.pk}/check-in/", {"member_card_id": card.pk})
    booking.refresh_from_db()
    assert booking.status == "checked_in" and CardUse.objects.get(pk=booking.card_use_id).card_id == card.pk
    assert CardBalance.objects.get(card=card).uses_left == 4


def test_class_check_in_uses_the_chosen_card(world):
    from datetime import timedelta

    from django.utils import timezone

    from mendian.cards.models import CardBalance
    from mendian.cards.tests.factories import make_template, sell

    client = logged_in(world.owner)
    service = make_service(world)
    day = future_day(world)
    client.post("/bookings/classes/new/", {"store": world.stores[0].pk, "name": "普拉提", "start": f"{day}T08:00",
                                           "duration_min": "60", "capacity": "5", "product_id": service.pk})
    session = ClassSession.objects.get(merchant=world.merchant)
    member = make_member(world, name="学员")
    card = sell(world, make_template(world, items=[(service, 3)], price_fen=30000, name="团课3次卡"), member)
    client.post(f"/bookings/classes/{session.pk}/book/", {"member_id": member.pk})
    ClassSession.objects.filter(pk=session.pk).update(start_at=timezone.now() - timedelta(minutes=10),
                                                      end_at=timezone.now() + timedelta(minutes=50))
    place = ClassBooking.objects.get(member=member)
    page = client.get(f"/bookings/classes/{session.pk}/").content.decode()
    assert f'<option value="{card.pk}">团课3次卡 · 剩余 3 次</option>' in page
    client.post(f"/bookings/class-places/{place.pk}/check-in/", {"member_card_id": card.pk})
    place.refresh_from_db()
    assert place.status == "attended" and place.card_use_id is not None
    assert CardBalance.objects.get(card=card).uses_left == 2
