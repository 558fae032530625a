"""Self-hosting cost per token and per month, the break-even volume, and the API's blended price."""

from decimal import Decimal

import pytest

from service.pricing.prices import TokenPrices
from service.pricing.selfhost import (
    HOURS_PER_MONTH,
    SelfHostCost,
    blended_price_per_mtok,
    break_even_tokens,
    self_host_cost,
)
from service.pricing.usage import Usage

FLASH = TokenPrices(Decimal("0.14"), Decimal("0.28"), cache_read_per_mtok=Decimal("0.0028"))


def test_a_month_is_730_hours() -> None:
    assert Decimal(24 * 365) / 12 == HOURS_PER_MONTH


def test_self_host_cost_per_million_tokens_monthly_cost_and_capacity() -> None:
    cost = self_host_cost(Decimal(2), 1, Decimal(1000), Decimal("0.5"))
    # $2 an hour buys 1000 x 3600 x 0.5 = 1.8M tokens: $1.111... per 1M, rounded to 10 places.
    assert cost == SelfHostCost(
        cost_per_mtok=Decimal("1.1111111111"),
        monthly_cost=Decimal(1460),
        monthly_capacity_tokens=Decimal(1_314_000_000),
    )


def test_an_eight_gpu_node_at_full_use_costs_what_its_throughput_allows() -> None:
    cost = self_host_cost(Decimal("1.80"), 8, Decimal(20_000), Decimal(1))
    assert cost.cost_per_mtok == Decimal("0.2")
    assert cost.monthly_cost == Decimal("10512")
    assert cost.monthly_capacity_tokens == Decimal(20_000 * 3600 * 730)


@pytest.mark.parametrize(
    ("hourly", "gpus", "speed", "utilization", "message"),
    [
        (Decimal(2), 0, Decimal(1), Decimal(1), "gpus must be a whole number of at least 1"),
        (Decimal(2), True, Decimal(1), Decimal(1), "gpus must be a whole number of at least 1"),
        (Decimal(2), 1, Decimal(0), Decimal(1), "tokens_per_second must be more than 0"),
        (Decimal(2), 1, Decimal(1), Decimal(0), r"utilization \(the busy share of the time\) must be in \(0, 1\]"),
        (Decimal(2), 1, Decimal(1), Decimal("1.01"), "utilization"),
        (Decimal(-1), 1, Decimal(1), Decimal(1), "gpu_hourly_usd must be a finite amount of 0 or more"),
        (Decimal("NaN"), 1, Decimal(1), Decimal(1), "gpu_hourly_usd"),
    ],
)
def test_self_host_inputs_out_of_range_are_refused(
    hourly: Decimal, gpus: int, speed: Decimal, utilization: Decimal, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        self_host_cost(hourly, gpus, speed, utilization)


def test_break_even_is_rounded_up_to_a_whole_token() -> None:
    # $1460 a month buys 10,428,571,428.57... V4-Flash input tokens.
    assert break_even_tokens(Decimal(1460), Decimal("0.14")) == Decimal(10_428_571_429)


def test_break_even_that_falls_on_a_whole_token_is_not_rounded() -> None:
    assert break_even_tokens(Decimal(1000), Decimal(2)) == Decimal(500_000_000)


def test_break_even_against_a_free_api_is_none() -> None:
    assert break_even_tokens(Decimal(1000), Decimal(0)) is None


def test_break_even_refuses_a_negative_api_price() -> None:
    with pytest.raises(ValueError, match="api_price_per_mtok must be a finite amount of 0 or more"):
        break_even_tokens(Decimal(1000), Decimal(-1))


def test_blended_price_of_the_article_session_is_0_18_per_million() -> None:
    # 0.0126 for 70,000 tokens.
    assert blended_price_per_mtok(FLASH, Usage(50_000, 20_000)) == Decimal("0.18")


def test_blended_price_counts_cache_hits_at_their_own_price() -> None:
    # 0.0014 + 0.000112 + 0.0056 = 0.007112 for 70,000 tokens.
    assert blended_price_per_mtok(FLASH, Usage(50_000, 20_000, cached_input_tokens=40_000)) == Decimal("0.1016")


def test_blended_price_is_rounded_to_ten_places() -> None:
    assert blended_price_per_mtok(TokenPrices(Decimal(1), Decimal(2)), Usage(2, 1)) == Decimal("1.3333333333")


def test_blended_price_of_a_usage_without_tokens_is_refused() -> None:
    with pytest.raises(ValueError, match="no input or output tokens"):
        blended_price_per_mtok(FLASH, Usage(0, 0, cache_write_tokens=10))
