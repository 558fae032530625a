"""Exact arithmetic where the default 28-digit decimal context would round, and the edges of how costs are made.

Each of these was found unguarded by the mutation run (docs/benchmarks.md): the code still passed the other tests
with the money context dropped, a bound moved or a part of a month ignored.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from service.pricing.charging import expand_to_flat, rated_stretches
from service.pricing.compare import compare
from service.pricing.estimate import Estimate, SessionCost, check_retry_factor, estimate, session_cost
from service.pricing.money import apportion, round_cost, round_ratio
from service.pricing.monthly import spread_over_window
from service.pricing.prices import TokenPrices
from service.pricing.rules import PriceRules, TimeWindow
from service.pricing.selfhost import blended_price_per_mtok, break_even_tokens, self_host_cost
from service.pricing.timeline import ModelTimeline, PricePeriod
from service.pricing.usage import Usage
from service.pricing.windows import DailyWindow

EVERY_DAY = frozenset(range(7))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def d(text: str) -> Decimal:
    return Decimal(text)


def test_rounding_a_cost_of_more_than_28_digits_keeps_every_digit() -> None:
    assert round_cost(d("123456789012345678901.123456789012")) == d("123456789012345678901.1234567890")
    assert round_ratio(d("12345678901234567890123456789.125")) == d("12345678901234567890123456789.12")


def test_apportioned_parts_of_more_than_28_digits_keep_every_digit() -> None:
    assert apportion([Fraction(10**25) + Fraction(1, 10**10)]) == [d("10000000000000000000000000.0000000001")]


def test_a_retry_factor_of_two_doubles_the_total() -> None:
    priced = estimate(TokenPrices(d("1"), d("2")), Usage(1_000_000, 1_000_000), 3, d("2"))
    assert priced.cost.per_session == 3
    assert priced.total == 18


def test_whole_retry_factors_at_both_bounds_are_accepted() -> None:
    assert check_retry_factor(1) == 1
    assert check_retry_factor(10) == 10


def test_one_cached_token_at_an_unknown_cache_price_is_warned_about() -> None:
    _, warnings = session_cost(TokenPrices(d("1"), d("2")), Usage(10, 0, cached_input_tokens=1, cache_write_tokens=1))
    assert warnings == (
        "cache_read_per_mtok is unknown for this price: 1 cached input tokens were charged at the input price",
        "cache_write_per_mtok is unknown for this price: 1 cache write tokens were charged at the input price",
    )


def estimated(input_cost: Decimal, cached_cost: Decimal, total: Decimal) -> Estimate:
    cost = SessionCost(input_cost, cached_cost, Decimal(1), Decimal(0), total)
    return Estimate(cost, Decimal(1), Decimal(1), total, ())


def test_an_input_ratio_adds_cached_input_exactly_even_past_28_digits() -> None:
    # (1.005e30 + 1) / 1e30 is just above 1.005, so it rounds to 1.01; rounded to 28 digits first it would be 1.00.
    rows = compare("base", {"base": estimated(d("1E30"), d("0"), d("1")),
                            "big": estimated(d("1005E27"), d("1"), d("1"))})
    assert {row.model: row.input_ratio for row in rows} == {"base": 1, "big": d("1.01")}


def test_a_ratio_past_28_digits_is_rounded_once() -> None:
    rows = compare("base", {"base": estimated(d("1"), d("0"), d("2E30")),
                            "big": estimated(d("1"), d("0"), d("2010000000000000000000000000001"))})
    assert {row.model: row.total_ratio for row in rows} == {"base": 1, "big": d("1.01")}


def test_self_hosting_sums_past_28_digits_exactly() -> None:
    hourly = d("1234567890123456789012345.6789")
    cost = self_host_cost(hourly, 1, d("1"), d("1"))
    assert cost.monthly_cost == d("901234559790123455979012345.597")  # hourly x 730, every digit
    assert break_even_tokens(d("1000000000000000000000000000001"), d("1")) == 10**36 + 10**6


def test_free_or_cheap_gpus_are_accepted() -> None:
    assert self_host_cost(d("0"), 1, d("1"), d("1")).monthly_cost == 0
    assert self_host_cost(d("0.5"), 1, d("1"), d("1")).monthly_cost == 365


def test_a_blended_price_is_rounded_once_from_the_exact_quotient() -> None:
    # Just below 1.5e-10: rounded to 28 digits first it would be 1.5e-10, which rounds half-even to 2e-10.
    price = d("0.00000000014999999999999999999999999999")
    assert blended_price_per_mtok(TokenPrices(price, d("0")), Usage(1, 0)) == d("1E-10")


def two_prices(first: Decimal, second: Decimal) -> ModelTimeline:
    return ModelTimeline([PricePeriod(1, utc(2026, 1, 1), utc(2026, 1, 2), TokenPrices(first, first)),
                          PricePeriod(2, utc(2026, 1, 2), None, TokenPrices(second, second))])


def test_a_spread_total_past_28_digits_is_the_exact_sum_of_its_periods() -> None:
    timeline = two_prices(d("3.3333333333"), d("7.7777777777"))
    usage = Usage(10**15 - 1, 0)
    spread = spread_over_window(timeline, usage, d("1E15"), d("1"), utc(2026, 1, 1, 12), utc(2026, 1, 2, 12))
    assert len(spread.periods) == 2
    assert Fraction(spread.total) == sum(Fraction(period.estimate.total) for period in spread.periods)
    assert len(spread.total.as_tuple().digits) > 28


def test_a_spread_over_active_hours_is_charged_only_the_rates_of_those_hours() -> None:
    # One euro on the first day, three on the second; the sessions come only on the second day.
    timeline = two_prices(d("1"), d("3"))
    active = [(utc(2026, 1, 2, 6), utc(2026, 1, 2, 18))]
    spread = spread_over_window(timeline, Usage(1_000_000, 0), d("4"), d("1"), utc(2026, 1, 1), utc(2026, 1, 3),
                                active=active)
    assert spread.total == 12
    assert [(period.start, period.end, period.sessions) for period in spread.periods] == [
        (utc(2026, 1, 2, 6), utc(2026, 1, 2, 18), d("4"))]


def test_each_spread_period_carries_its_own_sessions_and_rates() -> None:
    timeline = two_prices(d("1"), d("3"))
    spread = spread_over_window(timeline, Usage(1_000_000, 0), d("4"), d("1"), utc(2026, 1, 1, 12), utc(2026, 1, 2, 12))
    assert [period.estimate.sessions for period in spread.periods] == [2, 2]
    assert [period.sessions for period in spread.periods] == [2, 2]
    assert [period.charged.rates.input_per_mtok for period in spread.periods] == [1, 3]


def test_active_hours_that_touch_a_price_change_make_no_empty_period() -> None:
    timeline = two_prices(d("1"), d("3"))
    active = [(utc(2026, 1, 1, 6), utc(2026, 1, 2)), (utc(2026, 1, 2), utc(2026, 1, 2, 6))]
    spread = spread_over_window(timeline, Usage(1_000_000, 0), d("4"), d("1"), utc(2026, 1, 1), utc(2026, 1, 3),
                                active=active)
    assert all(period.start < period.end for period in spread.periods)
    assert len(spread.periods) == 2


def test_a_window_inside_another_cuts_no_stretch_where_the_first_applies_throughout() -> None:
    outer = TimeWindow("outer", DailyWindow("UTC", EVERY_DAY, 600, 1200), d("0.5"))
    inner = TimeWindow("inner", DailyWindow("UTC", EVERY_DAY, 700, 800), d("2"))
    timeline = ModelTimeline([PricePeriod(1, utc(2026, 1, 1), None, TokenPrices(d("1"), d("1")),
                                          PriceRules(windows=(outer, inner)))])
    parts = rated_stretches(timeline, utc(2026, 1, 5), utc(2026, 1, 6), 0, None)
    assert [(part.start, part.end, part.charged.window and part.charged.window.name) for part in parts] == [
        (utc(2026, 1, 5), utc(2026, 1, 5, 10), None),
        (utc(2026, 1, 5, 10), utc(2026, 1, 5, 20), "outer"),
        (utc(2026, 1, 5, 20), utc(2026, 1, 6), None),
    ]


def test_flat_expansion_numbers_its_periods_from_one() -> None:
    timeline = two_prices(d("1"), d("3"))
    expanded = expand_to_flat(timeline, utc(2026, 1, 1), utc(2026, 1, 3), 0, None)
    assert [period.id for period in expanded] == [1, 2]


def test_a_window_crossing_midnight_answers_on_the_first_day_of_the_calendar() -> None:
    window = DailyWindow("UTC", EVERY_DAY, 1380, 60)
    first_instant = datetime.min.replace(tzinfo=UTC) + timedelta(minutes=10)
    assert not window.contains(first_instant)
