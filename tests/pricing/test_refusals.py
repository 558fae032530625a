"""What the core accepts at the edges of its inputs, and the field and message of each refusal.

A route turns the field into the problem's JSON pointer and shows the message, so both are behaviour; the
mutation run (docs/benchmarks.md) found these unguarded.
"""

import pytest

from service.pricing.errors import InvalidValue
from service.pricing.money import MoneyError, parse_decimal
from service.pricing.monthly import NoActiveHoursError, month_window, spread_over_window
from service.pricing.rules import variant_kind
from service.pricing.usage import Usage, UsageError
from service.pricing.windows import WindowError, parse_clock, parse_days
from tests.pricing.test_exactness import d, two_prices, utc


@pytest.mark.parametrize(("text", "minutes"), [("00:00", 0), ("10:59", 659), ("23:59", 1439)])
def test_every_minute_of_the_day_is_a_clock_time(text: str, minutes: int) -> None:
    assert parse_clock(text, "start") == minutes


def test_24_00_is_an_end_and_never_a_start() -> None:
    assert parse_clock("24:00", "end", allow_24=True) == 1440
    with pytest.raises(WindowError, match=r"^start must be a local time HH:MM from 00:00 to 23:59, got '24:00'$"):
        parse_clock("24:00", "start")


@pytest.mark.parametrize("text", ["25:00", "24:30", "24:01", "10:60", "10:5", "10x30", "10:a5", "1030", ""])
def test_a_clock_time_outside_the_day_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(WindowError) as caught:
        parse_clock(text, "end", allow_24=True)
    assert caught.value.field == "end"
    assert str(caught.value) == f"end must be a local time HH:MM from 00:00 to 24:00, got {text!r}"


def test_unknown_day_names_are_refused_listing_the_known_ones() -> None:
    with pytest.raises(WindowError) as caught:
        parse_days(["mon", "someday"])
    assert caught.value.field == "days"
    known = "mon, tue, wed, thu, fri, sat, sun"
    assert str(caught.value) == f"days must list at least one of {known}; got ['mon', 'someday']"


def test_the_standard_rate_is_the_default_of_both_inputs() -> None:
    assert variant_kind() is None
    assert variant_kind("batch") == "batch"
    assert variant_kind(service_tier="flex") == "flex"


@pytest.mark.parametrize(("processing", "tier", "field", "message"), [
    ("fast", "standard", "processing", "processing must be one of standard, batch, got 'fast'"),
    ("standard", "gold", "service_tier", "service_tier must be one of standard, flex, priority, got 'gold'"),
    ("batch", "flex", "service_tier", "batch processing has no service tier: send service_tier standard with it"),
])
def test_a_variant_request_the_rules_cannot_name_is_refused(
    processing: str, tier: str, field: str, message: str
) -> None:
    with pytest.raises(InvalidValue) as caught:  # the request's own value, not the price's rules
        variant_kind(processing, tier)
    assert (caught.value.path, str(caught.value)) == ((field,), message)


@pytest.mark.parametrize("month", ["2026-01", "2026-12", "1000-01", "9998-12"])
def test_every_month_of_the_supported_years_has_a_window(month: str) -> None:
    start, end = month_window(month, "UTC")
    assert start < end


@pytest.mark.parametrize(("month", "message"), [
    ("2026-00", "month must be between 01 and 12, got '2026-00'"),
    ("2026-13", "month must be between 01 and 12, got '2026-13'"),
    ("0999-12", "month must be between 1000-01 and 9998-12, got '0999-12'"),
    ("9999-01", "month must be between 1000-01 and 9998-12, got '9999-01'"),
    (None, "month must be written YYYY-MM, such as 2026-05, got None"),
])
def test_a_month_out_of_range_is_refused(month: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        month_window(month, "UTC")
    assert str(caught.value) == message


def test_no_active_hour_is_refused_with_a_message() -> None:
    with pytest.raises(NoActiveHoursError, match=r"^the distribution of requests leaves no hour of this month"):
        spread_over_window(two_prices(d("1"), d("1")), Usage(1, 1), d("1"), d("1"), utc(2026, 1, 1), utc(2026, 1, 2),
                           active=[])


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "price must not be negative, got '-1'"),
    ("1e13", "price is too large (at most 1000000000000), got '1e13'"),
    ("0.0000000000001", "price has more than 12 digits after the decimal point, got '0.0000000000001'"),
    ("0.12345678901230", "price has more than 12 digits after the decimal point, got '0.12345678901230'"),
    ([1], "price must be a decimal number, got list"),
    ("x" * 40, f"price must be a finite decimal number, got '{'x' * 40}'"),
    ("x" * 41, f"price must be a finite decimal number, got '{'x' * 40}...'"),
])
def test_a_money_input_is_refused_quoting_it(value: object, message: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_decimal(value, field="price")
    assert str(caught.value) == message


def test_a_hundred_character_amount_is_still_read() -> None:
    assert parse_decimal("0" * 100, field="price") == 0
    assert parse_decimal("7", field="price", max_fraction_digits=0) == 7


def test_a_usage_names_the_first_field_that_is_wrong() -> None:
    with pytest.raises(UsageError) as caught:
        Usage(10**15, 0, -1)
    assert caught.value.field == "cached_input_tokens"
    with pytest.raises(UsageError) as caught:
        Usage(10**15 + 1, 0)
    assert caught.value.field == "input_tokens"
