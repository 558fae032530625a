"""What one request is charged under a price and its rules, at an instant or over a span of time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from service.pricing.rules import Charged, charge, window_spans
from service.pricing.timeline import EffectivePrice, ModelTimeline, PricePeriod

_new = tuple.__new__


class PriceGapError(ValueError):
    """Part of the window has no price at all; start and end delimit the first such stretch."""

    def __init__(self, start: datetime, end: datetime) -> None:
        super().__init__(f"no price applies from {start.isoformat()} to {end.isoformat()}")
        self.start = start
        self.end = end


class RatedStretch(NamedTuple):
    """[start, end) over which one request shape is charged the same rates."""

    start: datetime
    end: datetime
    price: EffectivePrice
    charged: Charged


def charged_at(found: EffectivePrice, prompt_tokens: int, kind: str | None, requested_at: datetime) -> Charged:
    """The rates for a request of `prompt_tokens` asking for variant `kind` (None: standard) at `requested_at`."""
    rules = found.period.rules
    if kind is None and rules.is_flat:
        # The usual case, on the estimate hot path: tuple.__new__ skips the NamedTuple's Python-level constructor.
        return _new(Charged, (found.effective, None, None, None))
    window = rules.window_at(requested_at) if rules.windows else None
    return charge(found.period.prices, rules, _percents(found), prompt_tokens, kind, window)


def rated_stretches(
    timeline: ModelTimeline, start: datetime, end: datetime, prompt_tokens: int, kind: str | None
) -> list[RatedStretch]:
    """[start, end) cut wherever the rates change: price periods, promotions, and time windows opening or closing."""
    result: list[RatedStretch] = []
    for stretch in timeline.stretches(start, end):
        found = stretch.price
        if found is None:
            raise PriceGapError(stretch.start, stretch.end)
        rules = found.period.rules
        # One stretch's parts differ only in the window open over them: each window's rates are found once.
        by_window: dict[int, Charged] = {}
        for low, high, window in window_spans(rules, stretch.start, stretch.end):
            charged = by_window.get(id(window))
            if charged is None:
                charged = by_window[id(window)] = charge(found.period.prices, rules, _percents(found),
                                                         prompt_tokens, kind, window)
            result.append(RatedStretch(low, high, found, charged))
    return result


def expand_to_flat(
    timeline: ModelTimeline, start: datetime, end: datetime, prompt_tokens: int, kind: str | None
) -> list[PricePeriod]:
    """The same prices for one request shape, as plain flat periods with no rules and no promotions.

    The property tests hold the rules to this: pricing a request under the rules must equal pricing it under
    its expansion.
    """
    return [
        PricePeriod(id=number, valid_from=part.start, valid_to=part.end, prices=part.charged.rates)
        for number, part in enumerate(rated_stretches(timeline, start, end, prompt_tokens, kind), start=1)
    ]


def _percents(found: EffectivePrice) -> tuple[Decimal, ...]:
    return tuple(discount.percent_off for discount in found.discounts)
