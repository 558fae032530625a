"""Pricing rules on a price period: context-size tiers, time-of-day windows, and batch or service-tier variants.

How one request's rates are found, in this order:
1. the context tier: the tier with the highest `above_prompt_tokens` below the prompt size replaces the
   period's rates for the whole request (providers bill every token of a long prompt at the higher rate);
2. the variant asked for (batch processing, or the flex or priority service tier) multiplies every rate;
3. the first time window, in the order listed, that is open at the request's instant multiplies every rate;
4. promotions lower every rate, as on a flat price.
Multiplying is exact and commutes, so only the tier's place in the order matters. A period without rules is a
flat rate, exactly as before rules existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from service.pricing.errors import InvalidRules, InvalidValue, VariantNotOffered, path_of
from service.pricing.money import MONEY_CONTEXT, canonical
from service.pricing.prices import TokenPrices, apply_discounts
from service.pricing.windows import DailyWindow, Span

PROCESSING_MODES = ("standard", "batch")
SERVICE_TIERS = ("standard", "flex", "priority")
VARIANT_KINDS = ("batch", "flex", "priority")
MAX_MULTIPLIER = Decimal(10)


class RuleError(InvalidRules):
    """Rules that do not hold together, or a request the rules refuse, at `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, *path_of(field))


class VariantError(VariantNotOffered):
    """A batch, flex or priority rate asked of a price that does not offer it, at `field` of the request."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, *path_of(field))


@dataclass(frozen=True, slots=True)
class ContextTier:
    """Rates for every token of a request whose prompt is above `above_prompt_tokens`."""

    above_prompt_tokens: int
    prices: TokenPrices


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A named daily window that multiplies every rate while it is open (0.5 off-peak, 2 at peak)."""

    name: str
    window: DailyWindow
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class Variant:
    """`kind` is batch, flex or priority; it multiplies every rate (0.5 for batch, 1.75 for priority)."""

    kind: str
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class PriceRules:
    tiers: tuple[ContextTier, ...] = ()
    windows: tuple[TimeWindow, ...] = ()
    variants: tuple[Variant, ...] = ()

    def __post_init__(self) -> None:
        thresholds = [tier.above_prompt_tokens for tier in self.tiers]
        if any(low >= high for low, high in pairwise(thresholds)):
            raise RuleError("context_tiers", "context tiers must be listed by above_prompt_tokens, each one higher")
        if any(threshold < 1 for threshold in thresholds):
            raise RuleError("context_tiers", "above_prompt_tokens must be at least 1")
        kinds = [variant.kind for variant in self.variants]
        if len(set(kinds)) != len(kinds) or not set(kinds) <= set(VARIANT_KINDS):
            raise RuleError("variants", f"variants are {', '.join(VARIANT_KINDS)}, each at most once")
        for multiplier in (*(w.multiplier for w in self.windows), *(v.multiplier for v in self.variants)):
            check_multiplier(multiplier)

    @property
    def is_flat(self) -> bool:
        return not (self.tiers or self.windows or self.variants)

    def tier_for(self, prompt_tokens: int) -> ContextTier | None:
        chosen = None
        for tier in self.tiers:
            if prompt_tokens > tier.above_prompt_tokens:
                chosen = tier
        return chosen

    def variant(self, kind: str | None) -> Variant | None:
        if kind is None:
            return None
        for variant in self.variants:
            if variant.kind == kind:
                return variant
        offered = ", ".join(v.kind for v in self.variants) or "none"
        field = "processing" if kind == "batch" else "service_tier"
        raise VariantError(field, f"this price offers no {kind} rate (variants offered: {offered})")

    def window_at(self, instant: datetime) -> TimeWindow | None:
        for window in self.windows:
            if window.window.contains(instant):
                return window
        return None


FLAT = PriceRules()


def check_multiplier(value: Decimal) -> Decimal:
    if not value.is_finite() or not 0 < value <= MAX_MULTIPLIER:
        raise RuleError("multiplier", f"multiplier must be above 0 and at most {MAX_MULTIPLIER}, got {value}")
    return value


def variant_kind(processing: str = "standard", service_tier: str = "standard") -> str | None:
    """The variant a request asks for, or None for the standard rate."""
    if processing not in PROCESSING_MODES:
        modes = ", ".join(PROCESSING_MODES)
        raise InvalidValue(f"processing must be one of {modes}, got {processing!r}", "processing")
    if service_tier not in SERVICE_TIERS:
        tiers = ", ".join(SERVICE_TIERS)
        raise InvalidValue(f"service_tier must be one of {tiers}, got {service_tier!r}", "service_tier")
    if processing == "batch" and service_tier != "standard":
        raise InvalidValue("batch processing has no service tier: send service_tier standard with it", "service_tier")
    if processing == "batch":
        return "batch"
    return None if service_tier == "standard" else service_tier


class Charged(NamedTuple):
    """The rates one request is charged, per million tokens, and which rules chose them."""

    rates: TokenPrices
    tier: ContextTier | None
    variant: Variant | None
    window: TimeWindow | None


def charge(
    base: TokenPrices, rules: PriceRules, percents_off: tuple[Decimal, ...], prompt_tokens: int,
    kind: str | None, window: TimeWindow | None,
) -> Charged:
    """The rates for a request of `prompt_tokens` asking for variant `kind`, with `window` open (or None)."""
    tier = rules.tier_for(prompt_tokens)
    variant = rules.variant(kind)
    # A tier states the four token prices; the period's other prices (per request, audio, image, one-hour cache
    # writes) hold at every tier.
    rates = tier.prices.with_more_of(base) if tier is not None else base
    factor = Decimal(1)
    if variant is not None:
        factor = MONEY_CONTEXT.multiply(factor, variant.multiplier)
    if window is not None:
        factor = MONEY_CONTEXT.multiply(factor, window.multiplier)
    if factor != 1:
        rates = _scaled(rates, factor)
    return Charged(apply_discounts(rates, percents_off), tier, variant, window)


def _scaled(prices: TokenPrices, factor: Decimal) -> TokenPrices:
    return prices.mapped(lambda price: canonical(MONEY_CONTEXT.multiply(price, factor)))


class WindowPart(NamedTuple):
    """[start, end) and the window open over it (None: none is)."""

    start: datetime
    end: datetime
    window: TimeWindow | None


def window_spans(rules: PriceRules, start: datetime, end: datetime) -> list[WindowPart]:
    """[start, end) cut where the open window changes; each part names the window that applies (first listed)."""
    if not rules.windows:
        return [WindowPart(start, end, None)]
    return list(_window_parts(rules.windows, start, end))


# A month priced on many models cuts the same month by the same windows again and again (a provider's off-peak
# hours are on all its models): by value, since equal windows cut a span alike.
@lru_cache(maxsize=1024)
def _window_parts(windows: tuple[TimeWindow, ...], start: datetime, end: datetime) -> tuple[WindowPart, ...]:
    spans_of = [(window, window.window.spans(start, end)) for window in windows]
    cuts = sorted({start, end, *(t for _, spans in spans_of for span in spans for t in span)})
    parts: list[WindowPart] = []
    for low, high in pairwise(cuts):
        applies = next((window for window, spans in spans_of if _inside(spans, low)), None)
        if parts and parts[-1].window is applies and parts[-1].end == low:
            parts[-1] = WindowPart(parts[-1].start, high, applies)
        else:
            parts.append(WindowPart(low, high, applies))
    return tuple(parts)


def _inside(spans: list[Span], instant: datetime) -> bool:
    return any(low <= instant < high for low, high in spans)
