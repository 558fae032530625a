"""Comparison rows: ratios over a baseline, order, and the cases without a ratio."""

from decimal import Decimal

import pytest

from service.pricing.compare import compare
from service.pricing.estimate import estimate
from service.pricing.prices import TokenPrices
from service.pricing.usage import Usage

USAGE = Usage(input_tokens=50_000, output_tokens=20_000)


def _estimates(**prices: tuple[str, str]) -> dict:
    return {model: estimate(TokenPrices(Decimal(i), Decimal(o)), USAGE) for model, (i, o) in prices.items()}


def test_rows_are_sorted_cheapest_total_first() -> None:
    rows = compare("b", _estimates(a=("5", "30"), b=("2", "8"), c=("0.14", "0.28")))
    assert [row.model for row in rows] == ["c", "b", "a"]


def test_equal_totals_are_ordered_by_model_id() -> None:
    rows = compare("z", _estimates(z=("1", "1"), m=("1", "1"), a=("1", "1")))
    assert [row.model for row in rows] == ["a", "m", "z"]


def test_the_baseline_row_has_ratios_of_one() -> None:
    rows = compare("b", _estimates(a=("5", "30"), b=("2", "8")))
    baseline = next(row for row in rows if row.model == "b")
    assert (baseline.input_ratio, baseline.output_ratio, baseline.total_ratio) == (1, 1, 1)


def test_a_baseline_that_is_not_compared_is_refused() -> None:
    with pytest.raises(ValueError, match="baseline 'x' is not among the compared models: \\['a'\\]"):
        compare("x", _estimates(a=("1", "1")))


def test_ratios_over_a_free_baseline_are_none() -> None:
    rows = compare("free", _estimates(free=("0", "0"), paid=("1", "1")))
    paid = next(row for row in rows if row.model == "paid")
    assert (paid.input_ratio, paid.output_ratio, paid.total_ratio) == (None, None, None)


def test_ratio_is_none_only_for_the_part_the_baseline_gets_free() -> None:
    rows = compare("base", _estimates(base=("0", "1"), other=("1", "2")))
    other = next(row for row in rows if row.model == "other")
    assert (other.input_ratio, other.output_ratio) == (None, Decimal(2))


def test_input_ratio_counts_cached_input_as_input() -> None:
    usage = Usage(50_000, 0, cached_input_tokens=50_000)
    cached = TokenPrices(Decimal(1), Decimal(1), cache_read_per_mtok=Decimal("0.1"))
    estimates = {
        "cached": estimate(cached, usage),
        "plain": estimate(TokenPrices(Decimal(1), Decimal(1)), usage),
    }
    plain = next(row for row in compare("cached", estimates) if row.model == "plain")
    assert plain.input_ratio == Decimal(10)


def test_total_ratio_takes_sessions_and_retry_factor_into_account() -> None:
    prices = TokenPrices(Decimal(1), Decimal(1))
    estimates = {
        "once": estimate(prices, USAGE),
        "retried": estimate(prices, USAGE, retry_factor=Decimal("1.5")),
    }
    retried = next(row for row in compare("once", estimates) if row.model == "retried")
    assert (retried.input_ratio, retried.total_ratio) == (1, Decimal("1.5"))


def test_ratios_are_rounded_half_even_to_two_places() -> None:
    rows = compare("base", _estimates(base=("3", "3"), other=("1", "1")))
    other = next(row for row in rows if row.model == "other")
    assert other.total_ratio == Decimal("0.33")
    assert other.total_ratio.as_tuple().exponent == -2
