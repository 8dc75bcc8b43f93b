"""Demo appointments: stylists, a beauty room and a yoga room with their weekly schedules, a yoga class
timetable, a scalp-care plan and bookings over the next days (by the real services, deterministic)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from mendian.core.errors import DomainError
from mendian.core.seeding import SeedContext
from mendian.core.time import local_today
from mendian.members.models import Member
from mendian.tenancy.access import Access

from .selectors import slots_for
from .services.bookings import booking_create
from .services.classes import class_book, class_create
from .services.plans import plan_assign, plan_template_create
from .services.resources import requirements_set, resource_create, schedule_set

ORDER = 60
DAYS_OF_BOOKINGS = 3
BOOKINGS_PER_DAY = 8
_WORKDAYS = [0, 1, 2, 3, 4, 5]
_EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def _week(days: list[int], start: str, end: str) -> list[dict]:
    return [{"weekday": d, "start": start, "end": end} for d in days]


def seed(ctx: SeedContext) -> None:
    access = Access.for_staff(ctx.data["staff"]["owner"])
    assert access is not None
    products = {p.name: p for p in ctx.data["products"]}
    hair = [products[n].pk for n in ("精致洗剪吹", "时尚染发", "造型烫发")]
    care = [products[n].pk for n in ("头皮深层护理", "补水面部护理")]
    resources = {}
    for store in ctx.data["stores"]:
        tag = store.code
        resources[(tag, "Tony")] = resource_create(access=access, store_id=store.pk, name="Tony 老师", kind="staff",
                                                   product_ids=hair, weekly=_week(_WORKDAYS, "10:00", "21:00"))
        resources[(tag, "Amy")] = resource_create(access=access, store_id=store.pk, name="Amy 老师", kind="staff",
                                                  product_ids=hair + care, weekly=_week([2, 3, 4, 5, 6], "09:30",
                                                                                        "18:30"))
        resources[(tag, "room")] = resource_create(access=access, store_id=store.pk, name="护理间", kind="room",
                                                   product_ids=care, weekly=_week(_EVERY_DAY, "09:30", "21:30"))
    # Care services need a beautician and the care room at once.
    for name in ("头皮深层护理", "补水面部护理"):
        requirements_set(access=access, product_id=products[name].pk, kinds=["room", "staff"])
    home = ctx.data["stores_by_code"]["HZ01"]
    today = local_today(home.timezone)
    tony = resources[("HZ01", "Tony")]
    schedule_set(access=access, resource=tony, weekly=tony.weekly,
                 exceptions=[{"date": today + timedelta(days=10), "closed": True, "note": "年假"}])
    yoga_room = resource_create(access=access, store_id=home.pk, name="瑜伽室", kind="room", product_ids=[],
                                weekly=_week(_EVERY_DAY, "09:30", "21:30"))
    members = list(Member.objects.filter(merchant=ctx.data["merchant"]).order_by("id")[:60])
    _classes(ctx, access, home, yoga_room.pk, members, today)
    _bookings(ctx, access, home, products, members, today)
    template = plan_template_create(access=access, name="头皮护理疗程", product_id=products["头皮深层护理"].pk,
                                    sessions=6, interval_days=14)
    for member in members[40:43]:
        plan_assign(access=access, member_id=member.pk, template_id=template.pk, staff_id=ctx.data["staff"][
            "store_manager"].pk, store_id=home.pk, start_date=today + timedelta(days=1))


def _classes(ctx: SeedContext, access: Access, store, room_id: int, members: list[Member], today) -> None:
    tz = ZoneInfo(store.timezone)
    # Tuesday and Thursday evening yoga, four weeks ahead.
    for weekday in (1, 3):
        first = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
        sessions = class_create(access=access, store_id=store.pk, name="流瑜伽", duration_min=60, capacity=10,
                                start=datetime.combine(first, time(19, 0), tzinfo=tz), resource_id=room_id,
                                repeat_weeks=4)
        for member in ctx.rng.sample(members[:30], 12):
            class_book(access=access, class_id=sessions[0].pk, member_id=member.pk, waitlist=True)


def _bookings(ctx: SeedContext, access: Access, store, products: dict, members: list[Member], today) -> None:
    services = [products[n] for n in ("精致洗剪吹", "时尚染发", "头皮深层护理", "补水面部护理")]
    for offset in range(1, DAYS_OF_BOOKINGS + 1):
        day = today + timedelta(days=offset)
        for _ in range(BOOKINGS_PER_DAY):
            service = ctx.rng.choice(services)
            slots = slots_for(access=access, store_id=store.pk, product_id=service.pk, day=day)
            if not slots:
                continue
            slot = ctx.rng.choice(slots)
            try:
                booking_create(access=access, store_id=store.pk, product_id=service.pk,
                               member_id=ctx.rng.choice(members).pk, start=slot.start)
            except DomainError:
                continue
