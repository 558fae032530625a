"""The launch article's figures, reproduced exactly; where the article rounds or slips, the test says so."""

from decimal import Decimal

import pytest

from service.pricing.compare import compare
from service.pricing.estimate import estimate
from service.pricing.money import format_decimal
from service.pricing.prices import TokenPrices, apply_discounts
from service.pricing.usage import Usage

SESSION = Usage(input_tokens=50_000, output_tokens=20_000)

LIST_PRICES = {
    "deepseek-v4-flash": TokenPrices(Decimal("0.14"), Decimal("0.28"), cache_read_per_mtok=Decimal("0.0028")),
    "deepseek-v4-pro": TokenPrices(Decimal("0.435"), Decimal("0.87")),
    "gpt-4.1": TokenPrices(Decimal(2), Decimal(8)),
    "claude-sonnet-4.6": TokenPrices(Decimal(3), Decimal(15)),
    "claude-opus-4.7": TokenPrices(Decimal(5), Decimal(25)),
    "gpt-5.5": TokenPrices(Decimal(5), Decimal(30)),
}


@pytest.mark.parametrize(
    ("model", "input_cost", "output_cost", "total"),
    [
        ("deepseek-v4-flash", "0.007", "0.0056", "0.0126"),
        ("deepseek-v4-pro", "0.02175", "0.0174", "0.03915"),
        ("gpt-4.1", "0.1", "0.16", "0.26"),
        ("claude-sonnet-4.6", "0.15", "0.3", "0.45"),
        ("claude-opus-4.7", "0.25", "0.5", "0.75"),
        ("gpt-5.5", "0.25", "0.6", "0.85"),
    ],
)
def test_session_table_of_50k_input_and_20k_output_is_reproduced_exactly(
    model: str, input_cost: str, output_cost: str, total: str
) -> None:
    cost = estimate(LIST_PRICES[model], SESSION).cost
    assert (format_decimal(cost.input), format_decimal(cost.output)) == (input_cost, output_cost)
    assert format_decimal(cost.per_session) == total


def test_v4_flash_session_costs_exactly_0_0126_where_article_rounds_to_0_013() -> None:
    assert estimate(LIST_PRICES["deepseek-v4-flash"], SESSION).total == Decimal("0.0126")


def test_v4_pro_session_costs_exactly_0_03915_where_article_rounds_to_0_022_0_017_0_039() -> None:
    cost = estimate(LIST_PRICES["deepseek-v4-pro"], SESSION).cost
    assert (cost.input, cost.output, cost.per_session) == (
        Decimal("0.02175"),
        Decimal("0.0174"),
        Decimal("0.03915"),
    )


@pytest.mark.parametrize(
    ("model", "total"), [("deepseek-v4-flash", "12.6"), ("gpt-5.5", "850"), ("claude-opus-4.7", "750")]
)
def test_a_thousand_sessions_cost_what_the_article_says(model: str, total: str) -> None:
    assert format_decimal(estimate(LIST_PRICES[model], SESSION, sessions=1000).total) == total


def test_launch_discount_brings_v4_flash_input_to_0_035() -> None:
    discounted = apply_discounts(LIST_PRICES["deepseek-v4-flash"], [Decimal(75)])
    assert discounted.input_per_mtok == Decimal("0.035")


def test_launch_discount_session_costs_0_00315_and_1000_sessions_3_15_not_the_articles_slip_of_3_25() -> None:
    discounted = apply_discounts(LIST_PRICES["deepseek-v4-flash"], [Decimal(75)])
    assert estimate(discounted, SESSION).total == Decimal("0.00315")
    assert format_decimal(estimate(discounted, SESSION, sessions=1000).total) == "3.15"


def test_retry_factor_1_8_makes_v4_flash_session_0_02268_which_the_article_rounds_to_0_023() -> None:
    result = estimate(LIST_PRICES["deepseek-v4-flash"], SESSION, retry_factor=Decimal("1.8"))
    assert result.total == Decimal("0.02268")


def test_cache_hits_at_0_0028_make_repeated_context_almost_free() -> None:
    usage = Usage(input_tokens=50_000, output_tokens=20_000, cached_input_tokens=40_000)
    cost = estimate(LIST_PRICES["deepseek-v4-flash"], usage).cost
    assert (cost.input, cost.cached_input, cost.output) == (
        Decimal("0.0014"),
        Decimal("0.000112"),
        Decimal("0.0056"),
    )
    assert cost.per_session == Decimal("0.007112")


def test_gpt_4_1_over_v4_flash_is_14_29_on_input_28_57_on_output_and_20_63_in_total() -> None:
    estimates = {model: estimate(prices, SESSION) for model, prices in LIST_PRICES.items()}
    rows = {row.model: row for row in compare("deepseek-v4-flash", estimates)}
    gpt = rows["gpt-4.1"]
    assert (gpt.input_ratio, gpt.output_ratio, gpt.total_ratio) == (
        Decimal("14.29"),
        Decimal("28.57"),
        Decimal("20.63"),
    )


def test_gpt_5_5_costs_about_65_times_a_v4_flash_session() -> None:
    estimates = {model: estimate(prices, SESSION) for model, prices in LIST_PRICES.items()}
    rows = {row.model: row for row in compare("deepseek-v4-flash", estimates)}
    assert rows["gpt-5.5"].total_ratio == Decimal("67.46")  # the article's "roughly 65x" compares 0.85 to 0.013
    assert rows["gpt-5.5"].input_ratio == Decimal("35.71")  # "35x cheaper than GPT-5.5 on input"
    assert rows["gpt-5.5"].output_ratio == Decimal("107.14")  # "over 107x cheaper on output"
