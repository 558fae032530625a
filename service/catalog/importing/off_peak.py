"""LiteLLM's `off_peak_pricing`, read into our time windows: hours in UTC, every day or on listed weekdays.

LiteLLM is off-peak at an instant when its UTC time is inside one of `hours_utc` (every day), or inside the hours
of one of `windows` and its weekday (read in UTC, or in `weekday_timezone`) is one of that window's `weekdays`.
Ranges open at the start (inclusive), close at the end (exclusive), run past midnight when the end is at or before
the start, and cover the whole day when start = end. Our windows decide by the day an opening starts on, LiteLLM
by the weekday at the instant itself; so a weekday range past midnight is cut at midnight into two openings on
the same weekdays, which charges every instant as LiteLLM does. Weekdays read in another zone than UTC, with hours
in UTC, are left out: our window reads its days and hours on one clock.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from service.catalog.importing.litellm_keys import PRICE_KEYS
from service.catalog.importing.rules import LeftOut, by_key, mtok, one_multiple
from service.pricing.prices import TokenPrices
from service.pricing.rules import TimeWindow
from service.pricing.windows import MINUTES_PER_DAY, DailyWindow, WindowError, parse_clock

OFF_PEAK = "off-peak"
# The keys of `off_peak_pricing` that say when, not how much.
SHAPE_KEYS = frozenset({"hours_utc", "windows", "weekday_timezone"})
# The API's limit on a period's windows (schemas.PriceRulesIn), so an update can take them too.
_MAX_WINDOWS = 20
_EVERY_DAY = frozenset(range(7))
_WEEKDAY_NAMES = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def off_peak_windows(block: Any, base: TokenPrices, with_other_rules: bool) -> tuple[TimeWindow, ...]:
    """The windows of `block`, at one multiple of the base prices; LeftOut says why they cannot be held."""
    if block is None or block == {}:
        return ()
    if not isinstance(block, dict):
        raise LeftOut(f"pricing is not an object: {block!r}")
    if block.get("weekday_timezone") not in (None, "UTC", "Etc/UTC"):
        raise LeftOut(f"weekdays read in {block['weekday_timezone']} with hours in UTC are not held")
    if with_other_rules:
        # LiteLLM charges its off-peak prices for long prompts and flex or priority requests alike (it has no
        # off-peak tier or variant prices), where our window multiplies those requests' own rates.
        raise LeftOut("prices replace the tier and variant rates in LiteLLM, where our window would multiply them")
    standard = by_key(base)
    # A price the block leaves out stays the standard one, as LiteLLM reads it (and as our LiteLLM export writes it).
    stated = {key: mtok(block.get(key), f"off_peak_pricing.{key}", per_token=True) for key in PRICE_KEYS}
    multiplier = one_multiple(base, {key: standard[key] if price is None else price for key, price in stated.items()})
    openings = _every_day(block.get("hours_utc")) if "hours_utc" in block else []
    for rule in _rules(block.get("windows")):
        openings += _on_weekdays(rule)
    if not openings:
        raise LeftOut("has no hours")
    unique = list(dict.fromkeys(openings))
    if len(unique) > _MAX_WINDOWS:
        raise LeftOut(f"has {len(unique)} openings, more than the {_MAX_WINDOWS} a price holds")
    return () if multiplier == 1 else tuple(_window(opening, multiplier) for opening in unique)


def _window(opening: DailyWindow, multiplier: Decimal) -> TimeWindow:
    return TimeWindow(OFF_PEAK, opening, multiplier)


def _rules(windows: Any) -> list[dict[str, Any]]:
    if windows is None:
        return []
    if not isinstance(windows, list) or not all(isinstance(rule, dict) for rule in windows):
        raise LeftOut(f"windows are not a list of objects: {windows!r}")
    return windows


def _ranges(hours: Any) -> list[tuple[int, int]]:
    ranges = [hours] if isinstance(hours, str) else hours
    if not isinstance(ranges, list) or not 1 <= len(ranges) <= _MAX_WINDOWS or not all(
            isinstance(text, str) for text in ranges):
        raise LeftOut(f"hours_utc is not one to {_MAX_WINDOWS} HH:MM-HH:MM ranges: {hours!r}")
    return [_range(text) for text in ranges]


def _range(text: str) -> tuple[int, int]:
    start_text, _, end_text = text.partition("-")
    try:
        start, end = parse_clock(start_text.strip(), "start"), parse_clock(end_text.strip(), "end", allow_24=True)
    except WindowError:
        raise LeftOut(f"hours {text!r} are not HH:MM-HH:MM") from None
    if start == end:
        return 0, MINUTES_PER_DAY
    return (start, MINUTES_PER_DAY) if end == 0 else (start, end)  # "18:00-00:00" is 18:00-24:00


def _every_day(hours: Any) -> list[DailyWindow]:
    # Every day, a range past midnight is one opening: the next day's part is inside it either way.
    return [DailyWindow("UTC", _EVERY_DAY, start, end) for start, end in _ranges(hours)]


def _on_weekdays(rule: dict[str, Any]) -> list[DailyWindow]:
    days = _days(rule.get("weekdays"))
    openings = []
    for start, end in _ranges(rule.get("hours_utc")):
        if end > start:
            openings.append(DailyWindow("UTC", days, start, end))
        else:  # cut at midnight: LiteLLM reads the weekday of each instant, not of the day the range opened
            openings += [DailyWindow("UTC", days, start, MINUTES_PER_DAY), DailyWindow("UTC", days, 0, end)]
    return openings


def _days(weekdays: Any) -> frozenset[int]:
    if weekdays is None:
        return _EVERY_DAY  # LiteLLM: no weekdays means every day
    if not isinstance(weekdays, list):
        raise LeftOut(f"weekdays are not a list: {weekdays!r}")
    days = set()
    for day in weekdays:
        number = _WEEKDAY_NAMES.get(day.strip().lower()[:3]) if isinstance(day, str) else day
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 7:
            raise LeftOut(f"weekday {day!r} is not 1 (Monday) to 7 (Sunday)")
        days.add(number - 1)  # ISO 1 = Monday; ours 0 = Monday
    if not days:
        raise LeftOut("lists no weekdays")
    return frozenset(days)
