"""The slot engine on plain data: schedules, opening hours, exceptions, buffers, capacity, several resources."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mendian.bookings.engine import (
    Period,
    ResourceDay,
    choose,
    find_slots,
    local_intervals,
    subtract,
    why_not,
    working_intervals,
)

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2030, 3, 4)  # a Monday
EARLY = datetime(2000, 1, 1, tzinfo=SH)


def t(hhmm, tz=SH, day=DAY):
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=tz)


def starts(slots):
    return [s.start.strftime("%H:%M") for s in slots]


def test_schedule_is_cut_to_opening_hours_and_exceptions():
    # given a stylist working 08:00–20:00 in a store open 09:30–21:30, away 12:00–13:00
    weekly = [Period(0, "08:00", "20:00")]
    opening = [Period(0, "09:30", "21:30")]
    # when
    working = working_intervals(day=DAY, tz_name="Asia/Shanghai", weekly=weekly, opening=opening,
                                closed_all_day=False, away=[(t("12:00"), t("13:00"))])
    # then
    assert working == [(t("09:30"), t("12:00")), (t("13:00"), t("20:00"))]
    assert working_intervals(day=DAY, tz_name="Asia/Shanghai", weekly=weekly, opening=opening,
                             closed_all_day=True) == []
    # another weekday has no period
    assert local_intervals(DAY + timedelta(days=1), "Asia/Shanghai", weekly) == []


def test_buffers_of_existing_and_new_bookings_keep_slots_apart():
    # given one stylist 10:00–14:00, booked 11:00–12:00 plus a 15-minute buffer
    stylist = ResourceDay(1, "staff", 1, [(t("10:00"), t("14:00"))], [(t("11:00"), t("12:15"))])
    # when a 45-minute service with a 15-minute buffer is searched
    slots = find_slots(groups=[[stylist]], day=DAY, tz_name="Asia/Shanghai", duration=timedelta(minutes=45),
                       buffer=timedelta(minutes=15), not_before=EARLY)
    # then its block (service + buffer) may not touch 11:00–12:15, and the service ends by 14:00
    assert starts(slots) == ["10:00", "12:15", "12:30", "12:45", "13:00", "13:15"]
    assert slots[0].end == t("10:45") and slots[0].resource_ids == (1,)


def test_several_resources_are_needed_at_once():
    # given two stylists free and the only room busy 14:00–15:00
    stylists = [ResourceDay(1, "staff", 1, [(t("13:00"), t("16:00"))]),
                ResourceDay(2, "staff", 1, [(t("13:00"), t("16:00"))], [(t("13:00"), t("14:00"))])]
    room = [ResourceDay(9, "room", 1, [(t("13:00"), t("16:00"))], [(t("14:00"), t("15:00"))])]
    # when
    slots = find_slots(groups=[stylists, room], day=DAY, tz_name="Asia/Shanghai", duration=timedelta(hours=1),
                       buffer=timedelta(0), not_before=EARLY, step_min=30)
    # then only times when a stylist AND the room are free, with both ids
    assert [(s.start.strftime("%H:%M"), s.resource_ids) for s in slots] == [("13:00", (1, 9)), ("15:00", (1, 9))]
    assert choose([stylists, room], t("14:30"), timedelta(hours=1), timedelta(0)) is None
    assert why_not([stylists, room], t("14:30"), timedelta(hours=1)) == "taken"
    assert why_not([stylists, room], t("15:30"), timedelta(hours=1)) == "outside_schedule"


def test_capacity_allows_parallel_bookings_up_to_the_limit():
    machine = ResourceDay(5, "equipment", 2, [(t("10:00"), t("12:00"))], [(t("10:00"), t("11:00"))])
    assert choose([[machine]], t("10:00"), timedelta(hours=1), timedelta(0)) == (5,)
    machine.busy.append((t("10:30"), t("11:30")))
    assert choose([[machine]], t("10:00"), timedelta(hours=1), timedelta(0)) is None


def test_slots_before_now_are_not_offered():
    stylist = ResourceDay(1, "staff", 1, [(t("10:00"), t("12:00"))])
    slots = find_slots(groups=[[stylist]], day=DAY, tz_name="Asia/Shanghai", duration=timedelta(minutes=30),
                       buffer=timedelta(0), not_before=t("11:00"), step_min=30)
    assert starts(slots) == ["11:00", "11:30"]


def test_local_times_of_another_zone_and_its_daylight_saving_change():
    # New York in winter is UTC-5; on 2030-03-10 clocks go forward at 02:00 (UTC-4 afterwards)
    ny = "America/New_York"
    winter = local_intervals(date(2030, 3, 4), ny, [Period(0, "09:00", "17:00")])
    assert winter[0][0].utcoffset() == timedelta(hours=-5)
    assert winter[0][0].astimezone(ZoneInfo("UTC")).hour == 14
    change = date(2030, 3, 10)  # a Sunday
    [(start, end)] = local_intervals(change, ny, [Period(6, "09:00", "17:00")])
    assert start.utcoffset() == timedelta(hours=-4)
    assert start.astimezone(ZoneInfo("UTC")).hour == 13
    resource = ResourceDay(1, "staff", 1, [(start, end)])
    slots = find_slots(groups=[[resource]], day=change, tz_name=ny, duration=timedelta(hours=1),
                       buffer=timedelta(0), not_before=EARLY, step_min=60)
    assert [s.start.strftime("%H:%M") for s in slots] == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00",
                                                           "15:00", "16:00"]


def test_subtract_cuts_holes():
    assert subtract([(t("09:00"), t("18:00"))], [(t("08:00"), t("10:00")), (t("12:00"), t("13:00"))]) == [
        (t("10:00"), t("12:00")), (t("13:00"), t("18:00"))]
