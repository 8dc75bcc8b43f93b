"""Booking a service through the API: slots, the contract's fields and every refusal (nothing written)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.bookings.models import Booking, BookingResource, ResourceException
from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
from mendian.members.testing import make_member
from mendian.pos.testing import make_product
from mendian.tenancy.models import Store

pytestmark = pytest.mark.django_db


def _open(world, hours="09:30", until="21:30", tz="Asia/Shanghai", store_index=0):
    Store.objects.filter(pk=world.stores[store_index].pk).update(
        opening_hours=[{"weekday": d, "start": hours, "end": until} for d in range(7)], timezone=tz)
    world.stores[store_index].refresh_from_db()


def _starts(response):
    return [s["start"][11:16] for s in response.data["slots"]]


def test_slots_follow_schedule_opening_hours_and_bookings_with_buffers(world):
    # given a store open 09:30–21:30 and a stylist working 10:00–13:00 every day
    _open(world)
    service = make_service(world, duration_min=60, buffer_min=15)
    stylist = make_resource(world, [service], weekly=[{"weekday": d, "start": "10:00", "end": "13:00"}
                                                      for d in range(7)])
    day = future_day(world)
    make_booking(world, service, make_member(world), at(day, "10:30"))
    # when
    response = world.api().get(f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}"
                               f"&date={day.isoformat()}")
    # then 10:30–11:45 is held (with buffer): the next start is 11:45 and the last 12:00 (ends by 13:00)
    assert response.status_code == 200
    assert _starts(response) == ["11:45", "12:00"]
    first = response.data["slots"][0]
    assert first["start"] == f"{day.isoformat()}T11:45:00+08:00"
    assert first["end"] == f"{day.isoformat()}T12:45:00+08:00"
    assert first["resource_ids"] == [stylist.pk]


def test_slots_skip_days_off_and_leave(world):
    service = make_service(world, duration_min=60)
    stylist = make_resource(world, [service], weekly=[{"weekday": d, "start": "10:00", "end": "13:00"}
                                                      for d in range(7)])
    day = future_day(world)
    client = world.api()
    url = f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}&date={day.isoformat()}"
    # a partial day off 11:00–12:00
    response = client.put(f"/resources/{stylist.pk}/schedule", {
        "weekly": stylist.weekly, "exceptions": [{"date": day.isoformat(), "closed": False, "start": "11:00",
                                                  "end": "12:00"}]})
    assert response.status_code == 200
    assert _starts(client.get(url)) == ["10:00", "12:00"]
    # the whole day off
    client.put(f"/resources/{stylist.pk}/schedule", {"weekly": stylist.weekly,
                                                     "exceptions": [{"date": day.isoformat(), "closed": True}]})
    assert client.get(url).data == {"slots": []}
    assert ResourceException.objects.filter(resource=stylist).count() == 1


def test_slots_for_one_staff_member_and_for_a_service_needing_a_room_too(world):
    service = make_service(world, duration_min=60)
    anna = make_resource(world, [service], weekly=[{"weekday": d, "start": "10:00", "end": "12:00"}
                                                   for d in range(7)])
    bo = make_resource(world, [service], weekly=[{"weekday": d, "start": "14:00", "end": "16:00"} for d in range(7)])
    day = future_day(world)
    client = world.api()
    base = f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}&date={day.isoformat()}"
    assert _starts(client.get(base + f"&resource_id={bo.pk}"))[0] == "14:00"
    assert {tuple(s["resource_ids"]) for s in client.get(base).data["slots"]} == {(anna.pk,), (bo.pk,)}
    # now it needs a staff member AND a room; the only room works 11:00–15:00
    room = make_resource(world, [service], kind="room", weekly=[{"weekday": d, "start": "11:00", "end": "15:00"}
                                                               for d in range(7)])
    assert client.put(f"/services/{service.pk}/requirements", {"kinds": ["staff", "room"]}).status_code == 200
    slots = client.get(base).data["slots"]
    assert [(s["start"][11:16], s["resource_ids"]) for s in slots] == [
        ("11:00", [anna.pk, room.pk]), ("14:00", [bo.pk, room.pk])]
    booked = client.post("/bookings", {"store_id": world.stores[0].pk, "product_id": service.pk,
                                       "member_id": make_member(world).pk, "start": slots[1]["start"]})
    assert booked.status_code == 201
    assert (booked.data["resource_id"], booked.data["resource_ids"]) == (bo.pk, [bo.pk, room.pk])
    again = client.get(base).data["slots"]
    assert [s["start"][11:16] for s in again if s["start"][11:16] >= "14:00"] == []


def test_slot_times_carry_the_store_offset_in_another_time_zone(world):
    _open(world, hours="09:00", until="18:00", tz="America/New_York")
    service = make_service(world, duration_min=60)
    make_resource(world, [service])
    day = future_day(world)
    slots = world.api().get(f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}"
                            f"&date={day.isoformat()}").data["slots"]
    offset = at(day, "09:00", "America/New_York").strftime("%z")
    assert slots[0]["start"] == f"{day.isoformat()}T09:00:00{offset[:3]}:{offset[3:]}"
    assert slots[-1]["start"][11:16] == "17:00"


def test_booking_returns_the_contract_and_holds_the_resource(world):
    service = make_service(world, duration_min=45, buffer_min=15)
    stylist = make_resource(world, [service])
    member = make_member(world)
    day = future_day(world)
    response = world.api().post("/bookings", {"store_id": world.stores[0].pk, "product_id": service.pk,
                                              "member_id": member.pk, "start": f"{day.isoformat()}T10:00:00+08:00"})
    assert response.status_code == 201
    assert response.data | {"id": 0} == response.data | {
        "id": 0, "status": "confirmed", "start": f"{day.isoformat()}T10:00:00+08:00",
        "end": f"{day.isoformat()}T10:45:00+08:00", "resource_id": stylist.pk}
    hold = BookingResource.objects.get(booking_id=response.data["id"])
    assert hold.resource_id == stylist.pk and hold.block_end_at == at(day, "11:00")


def test_an_overlap_including_the_buffer_is_409_slot_taken(world):
    service = make_service(world, duration_min=45, buffer_min=15)
    stylist = make_resource(world, [service])
    day = future_day(world)
    make_booking(world, service, make_member(world), at(day, "10:00"))
    body = {"store_id": world.stores[0].pk, "product_id": service.pk, "member_id": make_member(world).pk,
            "start": f"{day.isoformat()}T10:50:00+08:00", "resource_id": stylist.pk}
    response = world.api().post("/bookings", body)
    assert response.status_code == 409 and response.data["error"]["code"] == "slot_taken"
    assert Booking.objects.filter(merchant=world.merchant).count() == 1
    # right after the buffer it is free
    assert world.api().post("/bookings", body | {"start": f"{day.isoformat()}T11:00:00+08:00"}).status_code == 201


@pytest.mark.parametrize(("start", "code", "reason"), [
    ("past", "slot_unavailable", "in_the_past"),
    ("07:00", "slot_unavailable", "outside_opening_hours"),
    ("21:00", "slot_unavailable", "does_not_fit"),
    ("20:00", "slot_unavailable", "outside_schedule"),
])
def test_bad_times_are_422_with_a_reason_and_write_nothing(world, start, code, reason):
    _open(world)
    service = make_service(world, duration_min=60)
    make_resource(world, [service], weekly=[{"weekday": d, "start": "09:30", "end": "19:00"} for d in range(7)])
    day = future_day(world)
    when = (timezone.now() - timedelta(hours=1)).isoformat() if start == "past" else f"{day}T{start}:00+08:00"
    response = world.api().post("/bookings", {"store_id": world.stores[0].pk, "product_id": service.pk,
                                              "member_id": make_member(world).pk, "start": when})
    assert response.status_code == 422, response.data
    assert response.data["error"]["code"] == code
    assert response.data["error"]["detail"]["reason"] == reason
    assert response.data["error"]["message"]
    assert not Booking.objects.filter(merchant=world.merchant).exists()


def test_a_closed_store_takes_no_bookings(world):
    service = make_service(world)
    make_resource(world, [service])
    Store.objects.filter(pk=world.stores[0].pk).update(status=Store.Status.CLOSED)
    response = world.api().post("/bookings", {"store_id": world.stores[0].pk, "product_id": service.pk,
                                              "member_id": make_member(world).pk,
                                              "start": f"{future_day(world)}T10:00:00+08:00"})
    assert response.status_code == 422 and response.data["error"]["detail"]["reason"] == "store_not_open"
    assert not Booking.objects.filter(merchant=world.merchant).exists()


def test_a_resource_that_cannot_do_the_service_and_goods_are_refused(world):
    service, other = make_service(world), make_service(world)
    make_resource(world, [service])
    colourist = make_resource(world, [other])
    day = future_day(world)
    client = world.api(language="en")
    body = {"store_id": world.stores[0].pk, "product_id": service.pk, "member_id": make_member(world).pk,
            "start": f"{day}T10:00:00+08:00"}
    response = client.post("/bookings", body | {"resource_id": colourist.pk})
    assert response.status_code == 422 and response.data["error"]["code"] == "resource_cannot_do_service"
    assert colourist.name in response.data["error"]["message"]
    goods = make_product(world)
    response = client.post("/bookings", body | {"product_id": goods.pk})
    assert response.status_code == 422 and response.data["error"]["code"] == "not_bookable"
    slots = client.get(f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}&date={day}"
                       f"&resource_id={colourist.pk}")
    assert slots.status_code == 422 and slots.data["error"]["code"] == "resource_cannot_do_service"
    assert not Booking.objects.filter(merchant=world.merchant).exists()


def test_malformed_input_is_4xx_never_500(world):
    service = make_service(world)
    make_resource(world, [service])
    client = world.api()
    for body in ({"store_id": world.stores[0].pk}, {"store_id": "x", "product_id": service.pk, "member_id": 1,
                                                    "start": "tomorrow"}):
        response = client.post("/bookings", body)
        assert response.status_code == 422 and response.data["error"]["code"] == "validation_error"
    assert client.get(f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}"
                      f"&date=2030-02-30").status_code == 422
    assert client.get("/bookings?date_from=9999-12-31").data["error"]["code"] == "invalid_date"
    far = client.get(f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}&date=9999-12-31")
    assert far.status_code == 422 and far.data["error"]["code"] == "date_out_of_range"
    response = client.post("/bookings", {"store_id": world.stores[0].pk, "product_id": service.pk,
                                         "member_id": make_member(world).pk, "start": "9999-12-31T23:00:00+08:00"})
    assert response.status_code == 422 and response.data["error"]["detail"]["reason"] == "too_far_ahead"
    response = client.post("/classes", {"store_id": world.stores[0].pk, "name": "瑜伽", "duration_min": 60,
                                        "capacity": 5, "start": "9999-12-31T23:00:00+08:00", "repeat_weeks": 2})
    assert response.status_code == 422 and response.data["error"]["detail"]["reason"] == "too_far_ahead"
    response = client.post("/bookings", {"store_id": world.stores[0].pk, "product_id": service.pk,
                                         "member_id": 999999, "start": "2030-01-01T10:00:00+08:00"})
    assert response.status_code == 404 and response.data["error"]["code"] == "member_not_found"


def test_another_merchants_resource_member_and_booking_are_never_reached(world, other_world):
    service = make_service(world)
    stylist = make_resource(world, [service])
    member = make_member(world)
    booking = make_booking(world, service, member, at(future_day(world), "10:00"))
    theirs = other_world.api()
    assert theirs.get(f"/bookings/{booking.pk}").status_code == 404
    assert theirs.get(f"/resources/{stylist.pk}").status_code == 404
    assert theirs.post(f"/bookings/{booking.pk}/cancel").status_code == 404
    assert theirs.get("/bookings").data["items"] == []
    assert theirs.get("/resources").data == []
    # B's own service and store, naming A's member or A's resource
    their_service = make_service(other_world)
    make_resource(other_world, [their_service])
    body = {"store_id": other_world.stores[0].pk, "product_id": their_service.pk, "member_id": member.pk,
            "start": f"{future_day(other_world)}T10:00:00+08:00"}
    assert theirs.post("/bookings", body).status_code == 404
    response = theirs.post("/bookings", body | {"member_id": make_member(other_world).pk, "resource_id": stylist.pk})
    assert response.status_code == 404 and response.data["error"]["code"] == "resource_not_found"
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"


def test_a_cashier_books_only_in_their_store(world):
    service = make_service(world)
    make_resource(world, [service], store_index=1)
    cashier = world.staff("cashier", stores=[world.stores[0]])
    response = world.api(cashier).post("/bookings", {
        "store_id": world.stores[1].pk, "product_id": service.pk, "member_id": make_member(world).pk,
        "start": f"{future_day(world)}T10:00:00+08:00"})
    assert response.status_code == 404
    marketer = world.staff("marketer")
    response = world.api(marketer).post("/resources", {"store_id": world.stores[0].pk, "name": "x", "kind": "room",
                                                       "product_ids": []})
    assert response.status_code == 403
