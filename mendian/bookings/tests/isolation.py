"""What the isolation sweep needs to reach the bookings routes with merchant A's objects."""

import itertools

from mendian.bookings.models import ClassBooking, ClassSession
from mendian.bookings.services.plans import plan_assign, plan_template_create
from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
from mendian.core.testing.isolation import Param
from mendian.members.testing import make_member

_numbers = itertools.count(1)


def _resource(world, store_index):
    return make_resource(world, [make_service(world)], store_index=store_index).pk


def _booking(world, store_index):
    service = make_service(world)
    make_resource(world, [service], store_index=store_index)
    return make_booking(world, service, make_member(world), at(future_day(world), "10:00"),
                        store_index=store_index).pk


def _class(world, store_index):
    return ClassSession.objects.create(merchant=world.merchant, store=world.stores[store_index], name="瑜伽",
                                       start_at=at(future_day(world), "19:00"), end_at=at(future_day(world), "20:00"),
                                       capacity=10)


def _place(world, store_index):
    return ClassBooking.objects.create(merchant=world.merchant, session=_class(world, store_index),
                                       member=make_member(world), status="confirmed").pk


def _template(world):
    return plan_template_create(access=world.access(), name=f"疗程{next(_numbers)}", product_id=make_service(world).pk,
                                sessions=3, interval_days=14)


def _plan(world, store_index):
    return plan_assign(access=world.access(), member_id=make_member(world).pk, template_id=_template(world).pk,
                       staff_id=world.owner.pk, store_id=world.stores[store_index].pk,
                       start_date=future_day(world)).pk


PARAMS = {
    "resource_id": Param(own=lambda w: _resource(w, 0), in_other_store=lambda w: _resource(w, 1)),
    "booking_id": Param(own=lambda w: _booking(w, 0), in_other_store=lambda w: _booking(w, 1)),
    "class_id": Param(own=lambda w: _class(w, 0).pk, in_other_store=lambda w: _class(w, 1).pk),
    "class_booking_id": Param(own=lambda w: _place(w, 0), in_other_store=lambda w: _place(w, 1)),
    "service_plan_id": Param(own=lambda w: _plan(w, 0), in_other_store=lambda w: _plan(w, 1)),
    "service_id": Param(own=lambda w: make_service(w).pk),
}
BODIES = {
    "PUT /api/v1/resources/{resource_id}/schedule": lambda w: {"weekly": [{"weekday": 0, "start": "09:00",
                                                                           "end": "18:00"}]},
    "PUT /api/v1/services/{service_id}/requirements": lambda w: {"kinds": ["staff"]},
    "POST /api/v1/bookings/{booking_id}/reschedule": lambda w: {"start": at(future_day(w), "15:00").isoformat()},
    "POST /api/v1/classes/{class_id}/bookings": lambda w: {"member_id": make_member(w).pk},
    "POST /api/v1/members/{member_id}/service-plans": lambda w: {
        "template_id": _template(w).pk, "staff_id": w.owner.pk, "store_id": w.stores[0].pk,
        "start_date": future_day(w).isoformat()},
}


def _bookable(world):
    service = make_service(world)
    make_resource(world, [service])
    return service


REFERENCES = {
    "POST /api/v1/resources": lambda w: {"store_id": w.stores[0].pk, "name": "sweep", "kind": "staff",
                                         "product_ids": [make_service(w).pk]},
    "POST /api/v1/bookings": lambda w: {"store_id": w.stores[0].pk, "product_id": _bookable(w).pk,
                                        "member_id": make_member(w).pk,
                                        "start": at(future_day(w), "11:00").isoformat()},
    "POST /api/v1/classes": lambda w: {"store_id": w.stores[0].pk, "name": "sweep", "duration_min": 60,
                                       "capacity": 5, "start": at(future_day(w), "19:00").isoformat()},
    "POST /api/v1/plan-templates": lambda w: {"name": f"sweep{next(_numbers)}", "product_id": make_service(w).pk,
                                              "sessions": 2, "interval_days": 7},
}
QUERIES = {
    # built from the caller's own world: another merchant's store or service in the query would be 404
    "GET /api/v1/bookings/slots": lambda w: (f"?store_id={w.stores[0].pk}&product_id={_bookable(w).pk}"
                                             f"&date={future_day(w).isoformat()}"),
}
