"""Token prices per million tokens, and what a percentage discount does to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from service.pricing.money import MONEY_CONTEXT, canonical

_HUNDRED = Decimal(100)


# The prices beyond the four token prices, in the order of TokenPrices' fields (migration 0016).
MORE_PRICES = ("per_request", "audio_input_per_mtok", "audio_output_per_mtok", "image_input_per_mtok",
               "image_output_per_mtok", "cache_write_1h_per_mtok")


@dataclass(frozen=True, slots=True)
class TokenPrices:
    """USD per 1,000,000 tokens, and per_request in USD per request. Every price but input and output may be None:
    unknown, never free.

    cache_write_per_mtok is the default (five-minute) cache write, cache_write_1h_per_mtok the one-hour write.
    Audio and image prices are for the audio and image tokens counted inside a usage's input and output tokens.
    """

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    per_request: Decimal | None = None
    audio_input_per_mtok: Decimal | None = None
    audio_output_per_mtok: Decimal | None = None
    image_input_per_mtok: Decimal | None = None
    image_output_per_mtok: Decimal | None = None
    cache_write_1h_per_mtok: Decimal | None = None

    @property
    def has_more(self) -> bool:
        """Whether any price beyond the four token prices is known."""
        return not (self.per_request is None and self.audio_input_per_mtok is None
                    and self.audio_output_per_mtok is None and self.image_input_per_mtok is None
                    and self.image_output_per_mtok is None and self.cache_write_1h_per_mtok is None)

    def more(self) -> tuple[Decimal | None, ...]:
        """The prices beyond the four token prices, in MORE_PRICES' order."""
        return (self.per_request, self.audio_input_per_mtok, self.audio_output_per_mtok, self.image_input_per_mtok,
                self.image_output_per_mtok, self.cache_write_1h_per_mtok)

    def with_more_of(self, other: TokenPrices) -> TokenPrices:
        """These token prices with `other`'s prices beyond them (a context tier states only the four)."""
        if not other.has_more:
            return self
        return TokenPrices(self.input_per_mtok, self.output_per_mtok, self.cache_read_per_mtok,
                           self.cache_write_per_mtok, *other.more())

    def mapped(self, change: Callable[[Decimal], Decimal]) -> TokenPrices:
        """Every known price changed by `change`; unknown ones stay unknown."""
        def known(price: Decimal | None) -> Decimal | None:
            return None if price is None else change(price)

        more = (known(price) for price in self.more()) if self.has_more else ()
        return TokenPrices(change(self.input_per_mtok), change(self.output_per_mtok),
                           known(self.cache_read_per_mtok), known(self.cache_write_per_mtok), *more)


def apply_discounts(prices: TokenPrices, percents_off: Sequence[Decimal]) -> TokenPrices:
    """Lower every known price by each percentage in turn (75 off turns 0.14 into 0.035), exactly."""
    result = prices
    for percent_off in percents_off:
        result = _apply_discount(result, percent_off)
    return result


def _apply_discount(prices: TokenPrices, percent_off: Decimal) -> TokenPrices:
    if not percent_off.is_finite() or not 0 < percent_off <= _HUNDRED:
        raise ValueError(f"percent_off must be more than 0 and at most 100, got {percent_off}")
    return prices.mapped(lambda price: _lower(price, percent_off))


def _lower(price: Decimal, percent_off: Decimal) -> Decimal:
    # Dividing by 100 only moves the decimal point, so the discounted price stays exact.
    with localcontext(MONEY_CONTEXT):
        return canonical(price * (_HUNDRED - percent_off) / _HUNDRED)
