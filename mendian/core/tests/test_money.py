from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendian.core.errors import InvalidInput
from mendian.core.money import allocate, div_half_up, format_fen, parse_yuan, percent_of


def test_div_half_up_rounds_halves_away_from_zero():
    assert div_half_up(5, 2) == 3
    assert div_half_up(4, 2) == 2
    assert div_half_up(7, 3) == 2
    assert div_half_up(-5, 2) == -3
    assert div_half_up(1, 3) == 0


def test_percent_of_is_half_up_to_the_fen():
    # 9.99 yuan at 95%: 949.05 fen → 949; 8.50 at 95%: 807.5 → 808
    assert percent_of(999, 95) == 949
    assert percent_of(850, 95) == 808
    assert percent_of(10000, 90) == 9000


@given(st.integers(min_value=-10**12, max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_div_half_up_matches_exact_rounding(numerator, denominator):
    exact = Fraction(numerator, denominator)
    result = div_half_up(numerator, denominator)
    assert abs(Fraction(result) - exact) <= Fraction(1, 2)
    if abs(exact - int(exact)) == Fraction(1, 2):
        assert abs(result) > abs(exact)


def test_allocate_by_largest_remainder():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [5, 3, 2]) == [5, 3, 2]
    assert allocate(7, [0, 0]) == [4, 3]
    assert allocate(-10, [1, 2]) == [-3, -7]
    assert allocate(0, []) == []


def test_allocate_refuses_bad_weights():
    with pytest.raises(ValueError):
        allocate(5, [])
    with pytest.raises(ValueError):
        allocate(5, [1, -1])


@given(st.integers(min_value=0, max_value=10**10), st.lists(st.integers(min_value=0, max_value=10**8), min_size=1,
                                                             max_size=30))
def test_allocate_parts_sum_to_total_and_stay_within_one_fen_of_exact_share(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights) or len(weights)
    effective = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert exact - 1 < part < exact + 1


def test_parse_and_format_yuan():
    assert parse_yuan("12.3") == 1230
    assert parse_yuan(" 0.05 ") == 5
    assert parse_yuan("300") == 30000
    assert format_fen(123456) == "¥1,234.56"
    assert format_fen(-5) == "-¥0.05"
    assert format_fen(100, symbol=False) == "1.00"
    for bad in ("", "1.234", "abc", "1,000", "1e3"):
        with pytest.raises(InvalidInput):
            parse_yuan(bad)
