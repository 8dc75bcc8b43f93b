"""Odd values in every field of every booking write, and odd list filters: always 4xx, never a 500."""

import itertools

import pytest

from mendian.bookings.testing import at, future_day, make_booking, make_resource, make_service
from mendian.members.testing import make_member

pytestmark = pytest.mark.django_db

WEIRD = [None, "", "x", -1, 0, 10**12, 1.5, [], {}, True, "2030-01-01", "25:99", "9999-12-31T23:59:59+14:00",
         "0001-01-01T00:00:00-12:00", [{"weekday": 9}], [{"date": "x"}], ["staff", "alien"]]



def test_odd_values_never_give_a_500(world):
    service = make_service(world)
    r = make_resource(world, [service])
    m = make_member(world)
    b = make_booking(world, service, m, at(future_day(world), "10:00"))
    c = world.api().post("/classes", {"store_id": world.stores[0].pk, "name": "y", "duration_min": 60,
                                      "capacity": 2, "start": at(future_day(world), "19:00").isoformat()}).data
    client = world.api()
    base = {
        ("POST", "/resources"): {"store_id": world.stores[0].pk, "name": "n", "kind": "staff",
                                 "product_ids": [service.pk]},
        ("PATCH", f"/resources/{r.pk}"): {"name": "n"},
        ("PUT", f"/resources/{r.pk}/schedule"): {"weekly": [], "exceptions": []},
        ("PUT", f"/services/{service.pk}/requirements"): {"kinds": []},
        ("PUT", "/booking-policy"): {"cancel_cutoff_min": 10},
        ("POST", "/bookings"): {"store_id": world.stores[0].pk, "product_id": service.pk, "member_id": m.pk,
                                "start": at(future_day(world), "15:00").isoformat()},
        ("POST", f"/bookings/{b.pk}/reschedule"): {"start": at(future_day(world), "16:00").isoformat()},
        ("POST", f"/bookings/{b.pk}/check-in"): {"member_card_id": 1},
        ("POST", "/classes"): {"store_id": world.stores[0].pk, "name": "y", "duration_min": 60, "capacity": 2,
                               "start": at(future_day(world), "20:00").isoformat()},
        ("POST", f"/classes/{c['id']}/bookings"): {"member_id": m.pk, "waitlist": True},
        ("POST", "/plan-templates"): {"name": "p", "product_id": service.pk, "sessions": 2, "interval_days": 3},
    }
    bad = []
    for (method, path), body in base.items():
        for key, value in itertools.product(list(body), WEIRD):
            resp = client.call(method, path, {**body, key: value})
            if resp.status_code >= 500:
                bad.append((method, path, key, value, resp.content[:200]))
    for q in ["date=9999-01-01", "date=0001-01-01", "date=x", "product_id=x", "resource_id=-1", "store_id=0"]:
        resp = client.get(f"/bookings/slots?store_id={world.stores[0].pk}&product_id={service.pk}"
                          f"&date=2030-01-01&{q}")
        if resp.status_code >= 500:
            bad.append(("GET", q, resp.content[:200]))
    for q in ["date_from=x", "date_from=9999-12-31", "date_to=0001-01-01", "status=zzz", "limit=0", "cursor=zz"]:
        for p in ("/bookings", "/classes"):
            resp = client.get(f"{p}?{q}")
            if resp.status_code >= 500:
                bad.append(("GET", p, q, resp.content[:200]))
    assert not bad, bad
    # and the booking made first is untouched by all of it except the one valid reschedule
    b.refresh_from_db()
    assert b.status == "confirmed"
