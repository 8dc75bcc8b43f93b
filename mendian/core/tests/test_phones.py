import pytest

from mendian.core.errors import InvalidInput
from mendian.core.phones import mask_phone, normalize_phone


def test_normalize_mainland_numbers_in_any_spelling():
    assert normalize_phone("13812345678") == "13812345678"
    assert normalize_phone("+86 138 1234 5678") == "13812345678"
    assert normalize_phone("138-1234-5678") == "13812345678"


def test_foreign_numbers_keep_e164():
    assert normalize_phone("+852 5123 4567") == "+85251234567"


@pytest.mark.parametrize("bad", ["12345", "", "abc", "1381234567", "+1 555"])
def test_invalid_numbers_are_refused(bad):
    with pytest.raises(InvalidInput) as caught:
        normalize_phone(bad)
    assert caught.value.code == "invalid_phone"


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("") == ""
    assert mask_phone("12345") == "*****"


def test_the_prefix_shortcut_agrees_with_phonenumbers_number_by_number():
    import random

    import phonenumbers

    from mendian.core.phones import _full_normalize

    rng = random.Random(11)
    for _ in range(20000):
        number = "1" + f"{rng.randrange(10**10):010d}"
        try:
            expected = _full_normalize(number, "CN")
        except InvalidInput:
            expected = None
        try:
            got = normalize_phone(number)
        except InvalidInput:
            got = None
        assert got == expected, number
    assert phonenumbers  # the reference implementation is phonenumbers itself
