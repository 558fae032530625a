"""Which list price and which discounts apply to one model at any instant, and over any window."""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import NamedTuple

from service.pricing.prices import TokenPrices, apply_discounts
from service.pricing.rules import FLAT, PriceRules


@dataclass(frozen=True, slots=True)
class PricePeriod:
    """A list price valid on [valid_from, valid_to); valid_to None means open-ended. No rules: a flat rate."""

    id: int
    valid_from: datetime
    valid_to: datetime | None
    prices: TokenPrices
    rules: PriceRules = FLAT

    def __post_init__(self) -> None:
        _check_range(f"price period {self.id}", self.valid_from, self.valid_to)


@dataclass(frozen=True, slots=True)
class Discount:
    """A promotion lowering every price by percent_off on [valid_from, valid_to)."""

    id: int
    name: str
    percent_off: Decimal
    valid_from: datetime
    valid_to: datetime | None

    def __post_init__(self) -> None:
        _check_range(f"discount {self.id}", self.valid_from, self.valid_to)
        if not self.percent_off.is_finite() or not 0 < self.percent_off <= 100:
            raise ValueError(f"discount {self.id}: percent_off must be more than 0 and at most 100")


class CorrectionNote(NamedTuple):
    """A correction of the model's past: it replaced what the catalog said about [valid_from, valid_to), because."""

    id: int
    reason: str
    valid_from: datetime
    valid_to: datetime | None

    def covers(self, at: datetime) -> bool:
        return _covers(self.valid_from, self.valid_to, at)

    def meets(self, start: datetime, end: datetime | None) -> bool:
        """Whether it shares an instant with [start, end); None for open-ended."""
        return (end is None or self.valid_from < end) and (self.valid_to is None or start < self.valid_to)


@dataclass(frozen=True, slots=True, weakref_slot=True)  # weak: renderings of it are kept only while it lives
class EffectivePrice:
    """The list price (period.prices), the discounts in force, and the prices after them."""

    period: PricePeriod
    discounts: tuple[Discount, ...]
    effective: TokenPrices


@dataclass(frozen=True, slots=True)
class Stretch:
    """[start, end) over which one effective price (or none at all) applies."""

    start: datetime
    end: datetime
    price: EffectivePrice | None


class ModelTimeline:
    """One model's periods and discounts, cut once into stretches of constant effective price.

    Discounts may overlap (they then stack); price periods may not.
    """

    __slots__ = ("_prices", "_starts", "corrections")

    def __init__(self, periods: Iterable[PricePeriod], discounts: Iterable[Discount] = (),
                 corrections: Iterable[CorrectionNote] = ()) -> None:
        # The corrections of the model's past, oldest first; an answer at an instant one covers names it.
        self.corrections = tuple(corrections)
        ordered = sorted(periods, key=lambda period: period.valid_from)
        _check_no_overlap(ordered)
        offers = sorted(discounts, key=lambda offer: (offer.valid_from, offer.id))
        period_starts = [period.valid_from for period in ordered]
        # _prices[i] applies on [_starts[i], _starts[i + 1]), the last one forever; nothing before _starts[0].
        self._starts: list[datetime] = []
        self._prices: list[EffectivePrice | None] = []
        for instant in _boundaries(ordered, offers):
            price = _price_at(ordered, period_starts, offers, instant)
            unchanged = self._prices[-1] == price if self._prices else price is None
            if not unchanged:
                self._starts.append(instant)
                self._prices.append(price)

    def price_at(self, at: datetime) -> EffectivePrice | None:
        """The effective price at an instant, or None when no price period covers it. O(log n)."""
        _check_aware("at", at)
        index = bisect_right(self._starts, at) - 1
        return self._prices[index] if index >= 0 else None

    @property
    def single(self) -> tuple[datetime, EffectivePrice | None] | None:
        """For a timeline whose price never changes once it starts (most of them), its start and price: price_at(at)
        is that price from the start on and None before it. None for a timeline of several stretches or none."""
        return (self._starts[0], self._prices[0]) if len(self._starts) == 1 else None

    def next_change(self, after: datetime) -> datetime | None:
        """The first instant after `after` at which the effective price changes, or None if it never does."""
        _check_aware("after", after)
        index = bisect_right(self._starts, after)
        return self._starts[index] if index < len(self._starts) else None

    def stretches(self, start: datetime, end: datetime) -> list[Stretch]:
        """[start, end) cut wherever the effective price changes; adjacent equal prices are one stretch."""
        _check_aware("start", start)
        _check_aware("end", end)
        if end <= start:
            raise ValueError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
        index = bisect_right(self._starts, start) - 1
        result: list[Stretch] = []
        cursor = start
        while cursor < end:
            following = index + 1
            stop = end
            if following < len(self._starts) and self._starts[following] < end:
                stop = self._starts[following]
            result.append(Stretch(cursor, stop, self._prices[index] if index >= 0 else None))
            cursor, index = stop, following
        return result


def _boundaries(periods: Sequence[PricePeriod], discounts: Sequence[Discount]) -> list[datetime]:
    instants: set[datetime] = set()
    items: tuple[PricePeriod | Discount, ...] = (*periods, *discounts)
    for item in items:
        instants.add(item.valid_from)
        if item.valid_to is not None:
            instants.add(item.valid_to)
    return sorted(instants)


def _price_at(
    periods: Sequence[PricePeriod], starts: Sequence[datetime], discounts: Sequence[Discount], at: datetime
) -> EffectivePrice | None:
    index = bisect_right(starts, at) - 1
    if index < 0 or not _covers(periods[index].valid_from, periods[index].valid_to, at):
        return None
    period = periods[index]
    # Built once per boundary, so a linear scan of the (few) discounts costs nothing per lookup.
    active = tuple(offer for offer in discounts if _covers(offer.valid_from, offer.valid_to, at))
    effective = apply_discounts(period.prices, [offer.percent_off for offer in active])
    return EffectivePrice(period=period, discounts=active, effective=effective)


def _covers(valid_from: datetime, valid_to: datetime | None, at: datetime) -> bool:
    return valid_from <= at and (valid_to is None or at < valid_to)


def _check_no_overlap(ordered: Sequence[PricePeriod]) -> None:
    for earlier, later in pairwise(ordered):
        if earlier.valid_to is None or earlier.valid_to > later.valid_from:
            raise ValueError(f"price periods {earlier.id} and {later.id} overlap")


def _check_range(what: str, valid_from: datetime, valid_to: datetime | None) -> None:
    _check_aware(f"{what}: valid_from", valid_from)
    if valid_to is not None:
        _check_aware(f"{what}: valid_to", valid_to)
        if valid_to <= valid_from:
            raise ValueError(f"{what}: valid_to must be after valid_from")


def _check_aware(what: str, instant: datetime) -> None:
    # Comparing naive and aware datetimes raises TypeError deep inside bisect; say it here instead.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {instant.isoformat()}")
