from datetime import UTC, date, datetime, timedelta

import pytest

from mendian.members.birthdays import LunarDate, birthday_filter, lunar_birthday_in, to_lunar
from mendian.members.codes import member_code, parse_code, verify_otp
from mendian.members.models import Member
from mendian.members.testing import make_member

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = datetime(2026, 11, 28, 8, 0, 30, tzinfo=UTC)


def test_member_code_rotates_every_minute_and_expires():
    code = member_code(card_no="1234567890", secret=SECRET, at=T0)
    assert len(code) == 17 and code.startswith("91234567890")
    assert parse_code(code) == ("1234567890", code[-6:])
    later = member_code(card_no="1234567890", secret=SECRET, at=T0 + timedelta(minutes=1))
    assert later != code
    otp = code[-6:]
    assert verify_otp(secret=SECRET, otp=otp, at=T0)
    assert verify_otp(secret=SECRET, otp=otp, at=T0 + timedelta(seconds=60))  # the scan straddles the minute
    assert not verify_otp(secret=SECRET, otp=otp, at=T0 + timedelta(minutes=3))
    assert not verify_otp(secret="A" * 32, otp=otp, at=T0)
    assert parse_code("13812345678") is None


def test_lunar_conversion():
    assert to_lunar(date(1990, 2, 3)) == LunarDate(month=1, day=8, leap=False)
    assert lunar_birthday_in(2026, LunarDate(1, 8, False)) == date(2026, 2, 24)
    # 2026's twelfth lunar month has 29 days: a 30th-day birthday is kept on the 29th
    assert lunar_birthday_in(2026, LunarDate(12, 30, False)) == lunar_birthday_in(2026, LunarDate(12, 29, False))


@pytest.mark.django_db
def test_birthday_filter_solar_lunar_and_february_29(world):
    solar = make_member(world, birthday=date(1988, 11, 28))
    leapling = make_member(world, birthday=date(1992, 2, 29))
    lunar = make_member(world, birthday=date(1990, 2, 3), birthday_is_lunar=True)  # 正月初八
    make_member(world, birthday=date(1990, 2, 24))  # solar 2-24: not a lunar birthday

    def today_is(day):
        return set(Member.objects.filter(birthday_filter(day), merchant=world.merchant).values_list("pk", flat=True))

    assert solar.pk in today_is(date(2026, 11, 28))
    assert leapling.pk in today_is(date(2026, 2, 28)) and leapling.pk not in today_is(date(2028, 2, 28))
    assert lunar.pk in today_is(date(2026, 2, 24)) and lunar.pk not in today_is(date(2026, 2, 3))
