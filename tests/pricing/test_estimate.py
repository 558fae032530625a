"""Per-session costs and totals, cache fallbacks and their warnings, retry factor bounds."""

from decimal import Decimal

import pytest

from service.pricing.estimate import (
    RETRY_FACTOR_MAX,
    RETRY_FACTOR_MIN,
    SessionCost,
    check_retry_factor,
    check_sessions,
    estimate,
)
from service.pricing.prices import TokenPrices
from service.pricing.usage import Usage

FULL = TokenPrices(Decimal(3), Decimal(15), cache_read_per_mtok=Decimal("0.3"), cache_write_per_mtok=Decimal("3.75"))
LIST_ONLY = TokenPrices(Decimal(2), Decimal(8))


def test_each_kind_of_token_is_charged_at_its_own_price() -> None:
    usage = Usage(input_tokens=100_000, output_tokens=10_000, cached_input_tokens=60_000, cache_write_tokens=20_000)
    cost = estimate(FULL, usage).cost
    assert cost == SessionCost(
        input=Decimal("0.12"),
        cached_input=Decimal("0.018"),
        output=Decimal("0.15"),
        cache_write=Decimal("0.075"),
        per_session=Decimal("0.363"),
    )


def test_total_is_per_session_times_sessions_times_retry_factor() -> None:
    result = estimate(LIST_ONLY, Usage(50_000, 20_000), sessions=Decimal("2.5"), retry_factor=Decimal("1.5"))
    assert result.total == Decimal("0.975")
    assert (result.sessions, result.retry_factor) == (Decimal("2.5"), Decimal("1.5"))


def test_sessions_may_be_given_as_an_int() -> None:
    assert estimate(LIST_ONLY, Usage(1_000_000, 0), sessions=3).total == 6


def test_zero_sessions_cost_nothing() -> None:
    assert estimate(LIST_ONLY, Usage(1_000_000, 0), sessions=0).total == 0


def test_unknown_cache_read_price_charges_cached_tokens_at_the_input_price_and_says_so() -> None:
    result = estimate(LIST_ONLY, Usage(50_000, 0, cached_input_tokens=40_000))
    assert result.cost.cached_input == Decimal("0.08")
    assert result.warnings == (
        "cache_read_per_mtok is unknown for this price: 40000 cached input tokens were charged at the input price",
    )


def test_unknown_cache_write_price_charges_writes_at_the_input_price_and_says_so() -> None:
    result = estimate(LIST_ONLY, Usage(0, 0, cache_write_tokens=500_000))
    assert result.cost.cache_write == 1
    assert result.warnings == (
        "cache_write_per_mtok is unknown for this price: 500000 cache write tokens were charged at the input price",
    )


def test_unknown_cache_prices_give_no_warning_when_no_cache_tokens_are_used() -> None:
    assert estimate(LIST_ONLY, Usage(50_000, 20_000)).warnings == ()


def test_known_cache_prices_give_no_warning() -> None:
    assert estimate(FULL, Usage(50_000, 0, cached_input_tokens=50_000, cache_write_tokens=1)).warnings == ()


def test_a_zero_cache_price_is_taken_as_free_because_it_is_known() -> None:
    prices = TokenPrices(Decimal(1), Decimal(1), cache_read_per_mtok=Decimal(0))
    result = estimate(prices, Usage(10, 0, cached_input_tokens=10))
    assert (result.cost.cached_input, result.warnings) == (0, ())


@pytest.mark.parametrize("factor", [RETRY_FACTOR_MIN, Decimal("1.8"), RETRY_FACTOR_MAX, 2])
def test_retry_factors_from_one_to_ten_are_accepted(factor: Decimal) -> None:
    assert check_retry_factor(factor) == factor
    assert isinstance(check_retry_factor(factor), Decimal)


@pytest.mark.parametrize("factor", [Decimal("0.99"), Decimal("10.01"), Decimal(0), Decimal(-2)])
def test_retry_factors_outside_one_to_ten_are_refused(factor: Decimal) -> None:
    with pytest.raises(ValueError, match="retry_factor must be between 1 and 10"):
        check_retry_factor(factor)
    with pytest.raises(ValueError, match="retry_factor must be between 1 and 10"):
        estimate(LIST_ONLY, Usage(1, 1), retry_factor=factor)


@pytest.mark.parametrize("factor", [Decimal("NaN"), Decimal("Infinity"), 1.5, True])
def test_non_finite_or_inexact_retry_factors_are_refused(factor: object) -> None:
    with pytest.raises(ValueError, match="retry_factor must be"):
        check_retry_factor(factor)  # type: ignore[arg-type]


@pytest.mark.parametrize("sessions", [-1, Decimal("-0.5"), Decimal("NaN"), True, 2.0])
def test_negative_or_odd_session_counts_are_refused(sessions: object) -> None:
    with pytest.raises(ValueError, match="sessions must"):
        check_sessions(sessions)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sessions must"):
        estimate(LIST_ONLY, Usage(1, 1), sessions=sessions)  # type: ignore[arg-type]
