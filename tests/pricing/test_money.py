"""Parsing, rounding and formatting of money: every refusal, every formatting edge."""

import time
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pytest

from service.pricing.money import (
    MAX_FRACTION_DIGITS,
    MONEY_CONTEXT,
    MoneyError,
    apportion,
    canonical,
    format_decimal,
    format_many,
    parse_decimal,
    round_cost,
    round_ratio,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.14", Decimal("0.14")),
        ("1e-3", Decimal("0.001")),
        ("2.8E-3", Decimal("0.0028")),
        ("0.1400000000000000", Decimal("0.14")),
        ("0.123456789012", Decimal("0.123456789012")),
        ("1e12", Decimal("1000000000000")),
        (7, Decimal(7)),
        (Decimal("0.435"), Decimal("0.435")),
    ],
)
def test_parse_decimal_accepts_plain_and_exponent_strings_ints_and_decimals(raw: object, expected: Decimal) -> None:
    assert parse_decimal(raw, field="input_per_mtok") == expected


def test_parse_decimal_returns_plain_values_without_trailing_zeros_or_positive_exponents() -> None:
    assert str(parse_decimal("1E+1", field="price")) == "10"
    assert str(parse_decimal("10.000", field="price")) == "10"
    assert str(parse_decimal("0.1400", field="price")) == "0.14"


@pytest.mark.parametrize("raw", ["-0", "0.000", "0e999999999", "-0e-999999999", Decimal("-0.00")])
def test_parse_decimal_turns_every_zero_into_plain_zero(raw: object) -> None:
    parsed = parse_decimal(raw, field="price")
    assert parsed == 0
    assert str(parsed) == "0"


@pytest.mark.parametrize(
    "raw",
    ["NaN", "nan", "sNaN", "Infinity", "-infinity", "inf", "+Inf", Decimal("NaN"), Decimal("-Infinity")],
)
def test_parse_decimal_refuses_nan_and_infinity_in_any_case(raw: object) -> None:
    with pytest.raises(MoneyError, match=r"^input_per_mtok must be a finite decimal number, got '"):
        parse_decimal(raw, field="input_per_mtok")


def test_parse_decimal_refuses_signalling_nan_without_raising_invalid_operation() -> None:
    with pytest.raises(MoneyError, match="must be a finite decimal number, got 'sNaN'"):
        parse_decimal(Decimal("sNaN"), field="input_per_mtok")


def test_parse_decimal_message_names_the_field_and_quotes_the_value() -> None:
    with pytest.raises(MoneyError) as caught:
        parse_decimal("NaN", field="input_per_mtok")
    assert str(caught.value) == "input_per_mtok must be a finite decimal number, got 'NaN'"


@pytest.mark.parametrize("raw", [" 0.14", "0.14 ", "0.14\n", "1_000", "", "-", ".5", "5.", "0x10", "1e", "1,5", "+1"])
def test_parse_decimal_refuses_whitespace_underscores_and_loose_spellings(raw: str) -> None:
    with pytest.raises(MoneyError, match="must be a finite decimal number"):
        parse_decimal(raw, field="price")


def test_parse_decimal_refuses_float_and_asks_for_a_decimal_string() -> None:
    with pytest.raises(MoneyError, match=r'input_per_mtok must be sent as a decimal string such as "0\.14"'):
        parse_decimal(0.14, field="input_per_mtok")


@pytest.mark.parametrize("raw", [True, False, None, [1], {"a": 1}])
def test_parse_decimal_refuses_booleans_none_and_containers(raw: object) -> None:
    with pytest.raises(MoneyError, match=r"^price must be a decimal number, got "):
        parse_decimal(raw, field="price")


@pytest.mark.parametrize("raw", ["-0.01", -1, Decimal("-3"), "-1e-12"])
def test_parse_decimal_refuses_negative_values(raw: object) -> None:
    with pytest.raises(MoneyError, match=r"^output_per_mtok must not be negative"):
        parse_decimal(raw, field="output_per_mtok")


def test_parse_decimal_accepts_negative_values_when_allowed() -> None:
    assert parse_decimal("-0.5", field="delta", allow_negative=True) == Decimal("-0.5")


def test_parse_decimal_refuses_more_than_twelve_fraction_digits() -> None:
    assert MAX_FRACTION_DIGITS == 12
    with pytest.raises(MoneyError, match=r"^price has more than 12 digits after the decimal point"):
        parse_decimal("0.1234567890123", field="price")


def test_parse_decimal_counts_fraction_digits_after_dropping_trailing_zeros() -> None:
    assert parse_decimal("0.123456789012000", field="price") == Decimal("0.123456789012")
    assert parse_decimal("1.5E-12", field="price", max_fraction_digits=13) == Decimal("0.0000000000015")


def test_parse_decimal_honours_a_smaller_fraction_limit() -> None:
    with pytest.raises(MoneyError, match="more than 2 digits after the decimal point"):
        parse_decimal("1.005", field="percent_off", max_fraction_digits=2)


@pytest.mark.parametrize("raw", ["1000000000000.5", "1000000000001", "1e13", 10**13, "-1e13"])
def test_parse_decimal_refuses_values_above_one_trillion(raw: object) -> None:
    with pytest.raises(MoneyError, match=r"is too large \(at most 1000000000000\)"):
        parse_decimal(raw, field="price", allow_negative=True)


def test_parse_decimal_honours_a_smaller_maximum() -> None:
    assert parse_decimal("100", field="percent_off", max_value=Decimal(100)) == 100
    with pytest.raises(MoneyError, match=r"percent_off is too large \(at most 100\)"):
        parse_decimal("100.5", field="percent_off", max_value=Decimal(100))


def test_parse_decimal_refuses_huge_and_tiny_exponents_cheaply() -> None:
    started = time.perf_counter()
    for raw in ["1e999999999", "9E+999999999999999999", "1e-999999999"]:
        with pytest.raises(MoneyError):
            parse_decimal(raw, field="price")
    assert time.perf_counter() - started < 0.5


def test_parse_decimal_refuses_overlong_strings_before_parsing_them() -> None:
    with pytest.raises(MoneyError, match="must be a finite decimal number"):
        parse_decimal("1" + "0" * 10_000, field="price")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1E+1"), "10"),
        (Decimal("2.8E-3"), "0.0028"),
        (Decimal("-0.00"), "0"),
        (Decimal("0E-12"), "0"),
        (Decimal("0E+5"), "0"),
        (Decimal("0.1400"), "0.14"),
        (Decimal("10"), "10"),
        (Decimal("10.000"), "10"),
        (Decimal("1.2E+3"), "1200"),
        (Decimal("-1.50"), "-1.5"),
        (Decimal("0.0000000001"), "0.0000000001"),
        (Decimal("123456789012345678901234567890.5"), "123456789012345678901234567890.5"),
    ],
)
def test_format_decimal_writes_plain_notation_without_trailing_zeros(value: Decimal, text: str) -> None:
    assert format_decimal(value) == text


def test_format_many_writes_each_value_as_format_decimal_does() -> None:
    values = [Decimal(text) for text in ("1E+1", "2.8E-3", "-0.00", "-0", "0", "0E-12", "0E+5", "0.1400", "10.000",
                                         "1.2E+3", "-1.50", "0.0000000001", "0.0431900000", "12", "-7.000", "100",
                                         "1.05", "0.000", "30", "1" + "0" * 200 + ".50", "0." + "3" * 200 + "00")]
    assert format_many([]) == []
    assert format_many(values) == [format_decimal(value) for value in values]
    plain = [value for value in values if value > 0 and "E" not in str(value.normalize(MONEY_CONTEXT))]
    assert format_many(plain) == [format_decimal(value) for value in plain]
    for start in range(len(values)):  # a text that is not plain at every place: first, between others and last
        assert format_many(values[start:] + values[:start]) == [format_decimal(value)
                                                                for value in values[start:] + values[:start]]
    for value in (Decimal("NaN"), Decimal("-Infinity"), Decimal("sNaN")):
        with pytest.raises(ValueError, match="not a finite number"):
            format_many([Decimal(1), value])


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("sNaN")])
def test_format_decimal_refuses_non_finite_values(value: Decimal) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        format_decimal(value)


def test_canonical_keeps_the_value_and_drops_exponent_form() -> None:
    assert str(canonical(Decimal("1E+2"))) == "100"
    assert str(canonical(Decimal("0.500"))) == "0.5"
    assert str(canonical(Decimal("-0"))) == "0"


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.00000000005", "0"),
        ("0.00000000015", "0.0000000002"),
        ("0.00000000025", "0.0000000002"),
        ("0.000000000251", "0.0000000003"),
        ("0.4064516129032258", "0.4064516129"),
        ("12.6", "12.6"),
    ],
)
def test_round_cost_rounds_half_even_to_ten_places(value: str, rounded: str) -> None:
    assert round_cost(Decimal(value)) == Decimal(rounded)
    assert round_cost(Decimal(value)).as_tuple().exponent == -10


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("14.285714", "14.29"), ("0.125", "0.12"), ("0.135", "0.14"), ("20.634920", "20.63")],
)
def test_round_ratio_rounds_half_even_to_two_places(value: str, rounded: str) -> None:
    assert round_ratio(Decimal(value)) == Decimal(rounded)


def test_division_in_money_context_then_rounding_is_right_even_just_above_a_half() -> None:
    # (0.375 + 3e-N) / 3 is 0.125 + 1e-N, just above the half, so 0.13 is the right ratio, for any N past prec.
    numerator = Decimal("0.375" + "0" * (MONEY_CONTEXT.prec + 20) + "3")
    with localcontext(MONEY_CONTEXT):
        assert round_ratio(numerator / 3) == Decimal("0.13")
    with localcontext(prec=MONEY_CONTEXT.prec, rounding=ROUND_HALF_EVEN):
        # Half-even at the working precision lands exactly on the half, and the second rounding goes down.
        assert round_ratio(numerator / 3) == Decimal("0.12")


def test_money_context_keeps_the_largest_products_of_validated_inputs_exact() -> None:
    factors = [
        Decimal("999999999999.999999999999"),  # a price: 13 integer and 12 fraction digits
        Decimal("99.999999999999") / 100,  # what 0.000000000001% off leaves of it
        Decimal(10**15 - 1),  # tokens
        Decimal("999999999999.999999999999"),  # sessions
        Decimal("9.999999999999"),  # retry factor
        Decimal(31 * 24 * 3600 * 10**6 - 1),  # a month in microseconds
    ]
    product = Decimal(1)
    with localcontext(MONEY_CONTEXT):
        for factor in factors:
            product *= factor
    expected = Fraction(1)
    for factor in factors:
        expected *= Fraction(factor)
    assert Fraction(product) == expected


def test_apportion_keeps_the_rounded_exact_sum_where_rounding_each_part_would_lose_it() -> None:
    thirds = [Fraction(620, 21)] * 21  # 620 spread over 21 office days
    assert sum(apportion(thirds)) == Decimal(620)
    assert sum(round_cost(Decimal(620) / 21) for _ in range(21)) != Decimal(620)  # the naive way slips


def test_apportion_gives_the_leftover_units_to_the_largest_remainders_first() -> None:
    unit = Fraction(1, 10**10)
    assert apportion([unit * Fraction(4, 10), unit * Fraction(7, 10), unit * Fraction(9, 10)]) == [
        Decimal(0), Decimal("1E-10"), Decimal("1E-10")]
