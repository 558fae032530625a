"""Token prices per million tokens, and what a percentage discount does to them."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from service.pricing.money import MONEY_CONTEXT, canonical

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class TokenPrices:
    """USD per 1,000,000 tokens. A cache price of None means unknown, never free."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None


def apply_discounts(prices: TokenPrices, percents_off: Sequence[Decimal]) -> TokenPrices:
    """Lower every known price by each percentage in turn (75 off turns 0.14 into 0.035), exactly."""
    result = prices
    for percent_off in percents_off:
        result = _apply_discount(result, percent_off)
    return result


def _apply_discount(prices: TokenPrices, percent_off: Decimal) -> TokenPrices:
    if not percent_off.is_finite() or not 0 < percent_off <= _HUNDRED:
        raise ValueError(f"percent_off must be more than 0 and at most 100, got {percent_off}")
    read, write = prices.cache_read_per_mtok, prices.cache_write_per_mtok
    return TokenPrices(
        input_per_mtok=_lower(prices.input_per_mtok, percent_off),
        output_per_mtok=_lower(prices.output_per_mtok, percent_off),
        cache_read_per_mtok=None if read is None else _lower(read, percent_off),
        cache_write_per_mtok=None if write is None else _lower(write, percent_off),
    )


def _lower(price: Decimal, percent_off: Decimal) -> Decimal:
    # Dividing by 100 only moves the decimal point, so the discounted price stays exact.
    with localcontext(MONEY_CONTEXT):
        return canonical(price * (_HUNDRED - percent_off) / _HUNDRED)
