"""Discounts on token prices: exact, known prices only, never a price rise."""

from decimal import Decimal

import pytest

from service.pricing.prices import TokenPrices, apply_discounts

FLASH = TokenPrices(Decimal("0.14"), Decimal("0.28"), cache_read_per_mtok=Decimal("0.0028"))


def test_launch_discount_of_75_percent_turns_0_14_into_0_035_exactly() -> None:
    discounted = apply_discounts(FLASH, [Decimal(75)])
    assert discounted == TokenPrices(Decimal("0.035"), Decimal("0.07"), Decimal("0.0007"), None)
    assert str(discounted.input_per_mtok) == "0.035"


def test_unknown_cache_prices_stay_unknown_after_a_discount() -> None:
    discounted = apply_discounts(TokenPrices(Decimal(2), Decimal(8)), [Decimal(50)])
    assert discounted.cache_read_per_mtok is None
    assert discounted.cache_write_per_mtok is None


def test_discounts_stack_multiplicatively() -> None:
    discounted = apply_discounts(TokenPrices(Decimal(2), Decimal(8), Decimal(1), Decimal(4)), [Decimal(50)] * 2)
    assert discounted == TokenPrices(Decimal("0.5"), Decimal(2), Decimal("0.25"), Decimal(1))


def test_no_discount_leaves_prices_unchanged() -> None:
    assert apply_discounts(FLASH, []) == FLASH


def test_a_full_discount_makes_every_known_price_zero() -> None:
    free = apply_discounts(FLASH, [Decimal(100)])
    assert (free.input_per_mtok, free.output_per_mtok, free.cache_read_per_mtok) == (0, 0, 0)
    assert free.cache_write_per_mtok is None


def test_fractional_percentages_stay_exact() -> None:
    discounted = apply_discounts(TokenPrices(Decimal("0.435"), Decimal("0.87")), [Decimal("12.5")])
    assert discounted.input_per_mtok == Decimal("0.380625")
    assert discounted.output_per_mtok == Decimal("0.76125")


@pytest.mark.parametrize("percent", [Decimal(0), Decimal(-5), Decimal("100.01"), Decimal("NaN")])
def test_percentages_outside_zero_to_a_hundred_are_refused(percent: Decimal) -> None:
    with pytest.raises(ValueError, match="percent_off must be more than 0 and at most 100"):
        apply_discounts(FLASH, [percent])


def test_token_prices_are_frozen() -> None:
    with pytest.raises(AttributeError):
        FLASH.input_per_mtok = Decimal(1)  # type: ignore[misc]
