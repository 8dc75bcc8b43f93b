"""After booking: reschedule, cancel with a cut-off, no-show, check-in (with the card call site), plans."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.bookings.models import Booking, BookingPolicy, BookingResource, PlanSession, ServicePlan
from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
from mendian.members.testing import make_member
from mendian.tenancy.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon(world):
    service = make_service(world, duration_min=60, buffer_min=10)
    anna = make_resource(world, [service], name="Anna")
    bo = make_resource(world, [service], name="Bo")
    return world, service, anna, bo


def _past(booking, hours=1):
    """Move a booking (and its holds) into the past, as if time had gone by."""
    start = timezone.now() - timedelta(hours=hours)
    Booking.objects.filter(pk=booking.pk).update(start_at=start, end_at=start + timedelta(hours=1),
                                                 block_end_at=start + timedelta(hours=1))
    BookingResource.objects.filter(booking=booking).update(start_at=start, block_end_at=start + timedelta(hours=1))


def test_reschedule_moves_the_booking_and_keeps_its_resource(salon):
    world, service, anna, _bo = salon
    day = future_day(world)
    booking = make_booking(world, service, make_member(world), at(day, "10:00"), resource=anna)
    response = world.api().post(f"/bookings/{booking.pk}/reschedule", {"start": f"{day}T15:00:00+08:00"})
    assert response.status_code == 200
    assert response.data["start"] == f"{day}T15:00:00+08:00" and response.data["resource_ids"] == [anna.pk]
    hold = BookingResource.objects.get(booking=booking)
    assert hold.start_at == at(day, "15:00") and hold.block_end_at == at(day, "16:10")
    assert AuditEntry.objects.filter(action="booking.rescheduled", target_id=booking.pk).exists()


def test_a_refused_move_changes_nothing(salon):
    world, service, anna, bo = salon
    day = future_day(world)
    first = make_booking(world, service, make_member(world), at(day, "10:00"), resource=anna)
    second = make_booking(world, service, make_member(world), at(day, "12:00"), resource=anna)
    response = world.api().post(f"/bookings/{second.pk}/reschedule", {"start": f"{day}T10:30:00+08:00",
                                                                       "resource_id": anna.pk})
    assert response.status_code == 409 and response.data["error"]["code"] == "slot_taken"
    second.refresh_from_db()
    assert second.start_at == at(day, "12:00")
    assert list(BookingResource.objects.filter(booking=second).values_list("resource_id", flat=True)) == [anna.pk]
    # to Bo at that time it works: the move changes the resource
    response = world.api().post(f"/bookings/{second.pk}/reschedule", {"start": f"{day}T10:30:00+08:00",
                                                                       "resource_id": bo.pk})
    assert response.status_code == 200 and response.data["resource_id"] == bo.pk
    assert Booking.objects.get(pk=first.pk).start_at == at(day, "10:00")


def test_cancel_frees_the_slot_and_the_cut_off_refuses_late_changes(salon):
    world, service, anna, _bo = salon
    member = make_member(world)
    assert world.api().put("/booking-policy", {"cancel_cutoff_min": 7 * 24 * 60}).status_code == 200
    soon = at(future_day(world, days=3), "10:00")
    booking = make_booking(world, service, member, soon, resource=anna)
    cashier = world.staff("cashier")
    response = world.api(cashier).post(f"/bookings/{booking.pk}/cancel", {"override_cutoff": True})
    # within the seven-day cut-off; a cashier cannot override it
    assert response.status_code == 409 and response.data["error"]["code"] == "cutoff_passed"
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"
    late_move = world.api(cashier).post(f"/bookings/{booking.pk}/reschedule",
                                        {"start": (soon + timedelta(hours=3)).isoformat()})
    assert Booking.objects.get(pk=booking.pk).start_at == soon
    assert late_move.status_code == 409 and late_move.data["error"]["code"] == "cutoff_passed"
    # a manager may, and the resource is free again
    manager = world.staff("store_manager")
    response = world.api(manager).post(f"/bookings/{booking.pk}/cancel", {"override_cutoff": True})
    assert response.status_code == 200 and response.data["status"] == "cancelled"
    assert not BookingResource.objects.filter(booking=booking, is_active=True).exists()
    again = make_booking(world, service, member, soon, resource=anna)
    assert again.status == "confirmed"
    # a zero cut-off lets anyone cancel up to the start
    BookingPolicy.objects.filter(merchant=world.merchant).update(cancel_cutoff_min=0)
    assert world.api(cashier).post(f"/bookings/{again.pk}/cancel").status_code == 200


def test_no_show_only_after_the_start(salon):
    world, service, anna, _bo = salon
    booking = make_booking(world, service, make_member(world), at(future_day(world), "10:00"))
    client = world.api()
    response = client.post(f"/bookings/{booking.pk}/no-show")
    assert response.status_code == 409 and response.data["error"]["code"] == "booking_not_started"
    _past(booking)
    response = client.post(f"/bookings/{booking.pk}/no-show")
    assert response.status_code == 200 and response.data["status"] == "no_show"
    assert client.post(f"/bookings/{booking.pk}/check-in").data["error"]["code"] == "booking_not_confirmed"


def test_check_in_marks_the_booking_and_uses_the_members_card(salon):
    from mendian.cards.models import CardBalance, CardUse
    from mendian.cards.tests.factories import make_template, sell

    world, service, anna, _bo = salon
    member = make_member(world)
    booking = make_booking(world, service, member, at(future_day(world), "10:00"))
    template = make_template(world, items=[(service, 2)], price_fen=20000, name="护理2次卡")
    card = sell(world, template, member)
    someone_elses = sell(world, template, make_member(world))
    client = world.api()
    response = client.post(f"/bookings/{booking.pk}/check-in")
    assert response.status_code == 409 and response.data["error"]["code"] == "too_early_to_check_in"
    _past(booking)
    # another member's card is not found, and the check-in does not happen
    response = client.post(f"/bookings/{booking.pk}/check-in", {"member_card_id": someone_elses.pk})
    assert response.status_code == 404 and response.data["error"]["code"] == "card_not_found"
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.card_use_id is None
    response = client.post(f"/bookings/{booking.pk}/check-in", {"member_card_id": card.pk})
    assert response.status_code == 200 and response.data["status"] == "checked_in", response.data
    use = CardUse.objects.get(pk=response.data["card_use_id"])
    assert (use.card_id, use.kind, use.qty, use.ref_type, use.ref_id) == (card.pk, "use", 1, "booking", booking.pk)
    assert CardBalance.objects.get(card=card).uses_left == 1
    # a card with no use left refuses a check-in and leaves the booking as it was
    later = make_booking(world, service, member, at(future_day(world), "14:00"))
    _past(later, hours=3)
    CardBalance.objects.filter(card=card).update(uses_left=0)
    refused = client.post(f"/bookings/{later.pk}/check-in", {"member_card_id": card.pk})
    assert refused.status_code == 409 and refused.data["error"]["code"] == "card_exhausted"
    later.refresh_from_db()
    assert later.status == "confirmed" and later.card_use_id is None
    plain = client.post(f"/bookings/{later.pk}/check-in")
    assert plain.status_code == 200 and plain.data["card_use_id"] is None and plain.data["checked_in_at"]


def test_a_service_plan_books_its_sessions_and_checks_them_off(salon):
    world, service, anna, _bo = salon
    member = make_member(world)
    client = world.api()
    template = client.post("/plan-templates", {"name": "头皮护理疗程", "product_id": service.pk, "sessions": 2,
                                               "interval_days": 14})
    assert template.status_code == 201
    stylist = world.staff("cashier")
    day = future_day(world)
    plan = client.post(f"/members/{member.pk}/service-plans", {
        "template_id": template.data["id"], "staff_id": stylist.pk, "store_id": world.stores[0].pk,
        "start_date": day.isoformat()})
    assert plan.status_code == 201
    assert [s["due_date"] for s in plan.data["sessions"]] == [day.isoformat(),
                                                               (day + timedelta(days=14)).isoformat()]
    assert (plan.data["done"], plan.data["total"], plan.data["next_due"]) == (0, 2, day.isoformat())
    far = client.post(f"/members/{member.pk}/service-plans", {
        "template_id": template.data["id"], "staff_id": stylist.pk, "store_id": world.stores[0].pk,
        "start_date": "9999-12-01"})
    assert far.status_code == 422 and far.data["error"]["code"] == "invalid_start_date"
    body = {"store_id": world.stores[0].pk, "product_id": service.pk, "member_id": member.pk,
            "plan_id": plan.data["id"]}
    first = client.post("/bookings", body | {"start": f"{day}T10:00:00+08:00"})
    second = client.post("/bookings", body | {"start": f"{day + timedelta(days=14)}T10:00:00+08:00"})
    assert first.data["plan_id"] == second.data["plan_id"] == plan.data["id"]
    third = client.post("/bookings", body | {"start": f"{day + timedelta(days=15)}T10:00:00+08:00"})
    assert third.status_code == 409 and third.data["error"]["code"] == "plan_fully_booked"
    for booking_id in (first.data["id"], second.data["id"]):
        _past(Booking.objects.get(pk=booking_id))
        assert client.post(f"/bookings/{booking_id}/check-in").status_code == 200
    done = client.get(f"/service-plans/{plan.data['id']}").data
    assert (done["done"], done["status"], done["next_due"]) == (2, "completed", None)
    assert PlanSession.objects.filter(plan_id=plan.data["id"], done_at__isnull=False).count() == 2
    assert ServicePlan.objects.get(pk=plan.data["id"]).status == "completed"


def test_a_member_books_and_cancels_their_own_booking_under_the_same_rules(salon, other_world):
    from mendian.bookings.services.bookings import booking_cancel_by_member, booking_create_by_member
    from mendian.core.errors import Conflict, InvalidInput, NotFound

    world, service, anna, _bo = salon
    member, neighbour = make_member(world), make_member(world)
    day = future_day(world)
    booking = booking_create_by_member(member=member, store_id=world.stores[0].pk, product_id=service.pk,
                                       start=at(day, "10:00"), resource_id=anna.pk)
    assert (booking.source, booking.created_by_id, booking.status) == ("member", None, "confirmed")
    with pytest.raises(Conflict) as taken:
        booking_create_by_member(member=neighbour, store_id=world.stores[0].pk, product_id=service.pk,
                                 start=at(day, "10:30"), resource_id=anna.pk)
    assert taken.value.code == "slot_taken"
    with pytest.raises(InvalidInput) as past:
        booking_create_by_member(member=neighbour, store_id=world.stores[0].pk, product_id=service.pk,
                                 start=timezone.now() - timedelta(hours=1))
    assert past.value.detail["reason"] == "in_the_past"
    # another merchant's store, or another member's booking, is not found
    with pytest.raises(NotFound):
        booking_create_by_member(member=neighbour, store_id=other_world.stores[0].pk, product_id=service.pk,
                                 start=at(day, "15:00"))
    with pytest.raises(NotFound):
        booking_cancel_by_member(member=neighbour, booking_id=booking.pk)
    # within the cut-off a member cannot cancel; before it they can
    BookingPolicy.objects.create(merchant=world.merchant, cancel_cutoff_min=8 * 24 * 60)
    with pytest.raises(Conflict) as late:
        booking_cancel_by_member(member=member, booking_id=booking.pk)
    assert late.value.code == "cutoff_passed"
    BookingPolicy.objects.filter(merchant=world.merchant).update(cancel_cutoff_min=60)
    assert booking_cancel_by_member(member=member, booking_id=booking.pk).status == "cancelled"
    assert not BookingResource.objects.filter(booking=booking, is_active=True).exists()
