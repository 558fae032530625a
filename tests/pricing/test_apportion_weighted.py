"""apportion_weighted, the integer form a month's spread uses, gives exactly apportion's parts over Fractions."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.pricing.money import apportion, apportion_weighted


def _by_fractions(amounts: list[Decimal], weights: list[int]) -> list[Decimal]:
    # What the month's spread computed before: each part's exact Fraction, apportioned.
    total = sum(weights)
    return apportion([Fraction(amount) * Fraction(weight, total) for amount, weight in zip(amounts, weights,
                                                                                         strict=True)])


amounts = st.decimals(min_value=0, max_value=10**9, places=14, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(amounts, st.integers(min_value=0, max_value=31 * 24 * 3600 * 10**6)), min_size=1,
                max_size=70).filter(lambda parts: sum(weight for _, weight in parts) > 0))
def test_the_parts_equal_those_apportioned_over_fractions_digit_for_digit(parts):
    amounts_, weights = [amount for amount, _ in parts], [weight for _, weight in parts]
    got = apportion_weighted(amounts_, weights)
    expected = _by_fractions(amounts_, weights)
    assert got == expected
    assert [part.as_tuple() for part in got] == [part.as_tuple() for part in expected]  # the same digits and exponent


def test_ties_go_to_the_earlier_part_and_the_total_rounds_half_even():
    # Three equal thirds of 1E-10 each: the exact sum, 1E-10, is kept and the unit goes to the first part.
    assert apportion_weighted([Decimal("1E-10")] * 3, [1, 1, 1]) == [Decimal("1E-10"), Decimal(0), Decimal(0)]
    # Half a unit in all rounds to even (zero); one and a half units round to two.
    assert apportion_weighted([Decimal("1E-10"), Decimal(0)], [1, 1]) == [Decimal(0), Decimal(0)]
    assert sum(apportion_weighted([Decimal("3E-10"), Decimal(0)], [1, 1])) == Decimal("2E-10")


def test_a_month_of_21_office_days_keeps_its_exact_total():
    parts = apportion_weighted([Decimal(620)] * 21, [8 * 3600 * 10**6] * 21)
    assert sum(parts) == Decimal(620) and len(set(parts)) == 2


def test_weights_that_add_up_to_nothing_are_refused():
    with pytest.raises(ValueError, match="more than zero"):
        apportion_weighted([Decimal(1)], [0])
