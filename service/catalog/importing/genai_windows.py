"""genai-prices' prices by time of day, read into our time windows on the price in force at the import.

genai-prices charges, at an instant, the last price of a model's list whose constraint holds then: a price from a
start date, or one between `start_time` and `end_time` UTC every day (end at or before start: past midnight). So a
time-of-day price listed after the price in force replaces it in its hours; it comes in as our window, in UTC every
day, where it is one multiple of that price, tier by tier (DeepSeek's peak hours at twice the off-peak rates). Our
first open window wins and genai-prices' last listed, so the windows are kept in reverse order. Named instead: one
listed before the price in force (which always wins over it), one beside prices the file changes later, one beside
batch, flex or priority rates (genai-prices charges those at their own price at every hour; our window would
multiply them), and one that is no single multiple.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any, NamedTuple

from service.catalog.importing.accounting import Entry
from service.catalog.importing.entries import ImportedPrice
from service.catalog.importing.genai_variants import HELD_KEYS, PriceReader, multiple_of
from service.catalog.importing.rules import LeftOut
from service.pricing.money import MoneyError
from service.pricing.rules import PriceRules, RuleError, TimeWindow
from service.pricing.windows import DailyWindow, WindowError

_EVERY_DAY = frozenset(range(7))


class Timed(NamedTuple):
    """A time-of-day price of a model's list: its place, its component prefix, its prices and its constraint."""

    place: int  # its index in the list
    prefix: str
    prices: dict[str, Any]
    constraint: dict[str, Any]


def with_windows(timed: list[Timed], in_force: int, kept: list[ImportedPrice], account: Entry,
                 read: PriceReader) -> list[ImportedPrice]:
    """`kept` with the windows of `timed` held on its current price (listed at `in_force`); each other one named."""
    windows = []
    for price in reversed(timed):
        names = [f"{price.prefix}.{kind}" for kind, value in price.prices.items() if value is not None]
        try:
            windows.append(_window(price, in_force, kept, read))
        except (LeftOut, MoneyError, RuleError, WindowError, KeyError, TypeError, ValueError) as exc:
            for name in names:
                account.name(name, f"time-of-day {exc}")
            continue
        for name in names:
            if name.rpartition(".")[2] in HELD_KEYS:
                account.hold(name)
    if not windows:
        return kept
    current = kept[0]
    rules = PriceRules(current.rules.tiers, tuple(windows), current.rules.variants)
    return [replace(current, rules=rules), *kept[1:]]


def _window(price: Timed, in_force: int, kept: list[ImportedPrice], read: PriceReader) -> TimeWindow:
    if price.place < in_force:
        raise LeftOut("prices listed before the price in force, which wins over them at every hour")
    if len(kept) != 1:
        raise LeftOut("prices beside prices that change later are not held yet")
    if kept[0].rules.variants:
        raise LeftOut("prices beside batch, flex or priority prices: genai-prices charges those at every hour, "
                      "our window would multiply them")
    if set(price.constraint) != {"start_time", "end_time"}:
        raise LeftOut(f"prices constrained by {', '.join(sorted(price.constraint))} are not held")
    start, end = _minutes(price.constraint["start_time"]), _minutes(price.constraint["end_time"])
    if start == end:
        raise LeftOut("prices open no time: start equals end")
    multiplier = multiple_of(kept[0], read(price.prices, None))
    return TimeWindow("peak" if multiplier > 1 else "off-peak", DailyWindow("UTC", _EVERY_DAY, start, end),
                      multiplier)


def _minutes(text: str) -> int:
    clock = time.fromisoformat(text)
    offset = clock.utcoffset()
    if (offset is not None and offset.total_seconds() != 0) or clock.second or clock.microsecond:
        raise LeftOut(f"prices at {text}, not a whole minute in UTC, are not held")
    return clock.hour * 60 + clock.minute

