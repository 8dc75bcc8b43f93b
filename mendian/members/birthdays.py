"""Birthdays, solar or lunar (农历), converted with ``lunar-python``."""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from lunar_python import Lunar, LunarYear, Solar


@dataclass(frozen=True)
class LunarDate:
    month: int
    day: int
    leap: bool


def to_lunar(day: date) -> LunarDate:
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = lunar.getMonth()
    return LunarDate(month=abs(month), day=lunar.getDay(), leap=month < 0)


def _lunar_month_days(year: int, month: int) -> int:
    return LunarYear.fromYear(year).getMonth(month).getDayCount()


def lunar_birthday_in(year: int, birth: LunarDate) -> date:
    """The solar date of a lunar birthday in a lunar ``year``: a leap-month birthday is kept in the
    regular month of that number, and day 30 falls on day 29 in a short month."""
    day = min(birth.day, _lunar_month_days(year, birth.month))
    solar = Lunar.fromYmd(year, birth.month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def birthday_filter(today: date) -> Q:
    """Members whose birthday (solar, or lunar when they keep that) falls on ``today``."""
    solar = Q(birthday_is_lunar=False, birthday__month=today.month, birthday__day=today.day)
    if today.month == 2 and today.day == 28 and not isleap(today.year):
        solar |= Q(birthday_is_lunar=False, birthday__month=2, birthday__day=29)
    lunar_today = Solar.fromYmd(today.year, today.month, today.day).getLunar()
    if lunar_today.getMonth() < 0:  # a leap month: its birthdays were kept in the regular month
        return solar
    month, day = lunar_today.getMonth(), lunar_today.getDay()
    days = [day]
    if day == 29 and _lunar_month_days(lunar_today.getYear(), month) == 29:
        days.append(30)
    return solar | Q(birthday_is_lunar=True, lunar_birthday_month=month, lunar_birthday_day__in=days)


def birthday_month_filter(year: int, month: int) -> Q:
    """Members whose birthday (solar, or lunar when they keep that) falls in the solar ``month`` of ``year``."""
    from calendar import monthrange

    condition = Q(birthday_is_lunar=False, birthday__month=month)
    for day in range(1, monthrange(year, month)[1] + 1):
        condition |= birthday_filter(date(year, month, day)) & Q(birthday_is_lunar=True)
    return condition
