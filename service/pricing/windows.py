"""Daily time-of-day windows on the local clock of an IANA zone: is an instant inside, and which spans are.

A window opens at `start` local time on each listed weekday that is not an excluded date, and stays open until
`end` local time; an `end` at or before `start` means the next day (16:30-00:30 crosses midnight). An instant is
inside when the local clock shows a time inside an opening, so a DST change moves the window with the clock, as
providers bill it. Excluded dates name the day an opening starts on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.pricing.errors import InvalidWindow, path_of

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
_ONE_DAY = timedelta(days=1)
# Offsets are sampled this often to find DST changes; no zone changes its offset twice within an hour.
_SAMPLE_STEP = 3600

class Span(NamedTuple):
    """[start, end): instants in UTC."""

    start: datetime
    end: datetime


class WindowError(InvalidWindow):
    """A window that cannot be used, at `field_name` within it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, *path_of(field_name))


def load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    # Odd keys fail in other ways than unknown ones: "../etc" with ValueError, an overlong name with OSError.
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise WindowError("timezone", f"unknown IANA timezone {name!r}") from None


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """[start, end) minutes after local midnight, on `days` (0 = Monday), in zone `timezone`."""

    timezone: str
    days: frozenset[int]
    start: int
    end: int
    excluded_dates: frozenset[date] = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", load_zone(self.timezone))
        if not self.days or not self.days <= set(range(7)):
            raise WindowError("days", "days must list at least one of mon, tue, wed, thu, fri, sat, sun")
        if not 0 <= self.start < MINUTES_PER_DAY:
            raise WindowError("start", "start must be a local time from 00:00 to 23:59")
        if not 0 <= self.end <= MINUTES_PER_DAY:
            raise WindowError("end", "end must be a local time from 00:00 to 24:00")
        if self.start == self.end:
            raise WindowError("end", "end equals start, which opens nothing: write 00:00-24:00 for a whole day")

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def opens_on(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.excluded_dates

    def contains(self, instant: datetime) -> bool:
        """Whether the local clock at `instant` shows a time inside an opening of this window."""
        local = instant.astimezone(self.zone)
        day = local.date()
        minute = local.hour * 60 + local.minute
        if not self.crosses_midnight:
            return self.start <= minute < self.end and self.opens_on(day)
        if minute >= self.start and self.opens_on(day):
            return True
        return minute < self.end and day > date.min and self.opens_on(day - _ONE_DAY)

    def spans(self, start: datetime, end: datetime) -> list[Span]:
        """The parts of [start, end) inside the window, in order, as UTC instants; touching parts are joined."""
        first = start.astimezone(self.zone).date() - _ONE_DAY
        last = end.astimezone(self.zone).date()
        openings = [self._opening(first + timedelta(days=n)) for n in range((last - first).days + 1)]
        inside: list[Span] = []
        for segment_start, segment_end, offset in offset_segments(self.zone, start, end):
            # Within a segment local time is UTC time plus one fixed offset, so an opening on the local clock
            # maps to one span of instants.
            wall_start, wall_end = _naive(segment_start + offset), _naive(segment_end + offset)
            for day, (open_at, close_at) in openings:
                if not self.opens_on(day):
                    continue
                low, high = max(open_at, wall_start), min(close_at, wall_end)
                if low < high:
                    inside.append(Span((low - offset).replace(tzinfo=UTC), (high - offset).replace(tzinfo=UTC)))
        return merge_spans(inside)

    def _opening(self, day: date) -> tuple[date, tuple[datetime, datetime]]:
        midnight = datetime(day.year, day.month, day.day)
        close_day = midnight + _ONE_DAY if self.crosses_midnight else midnight
        return day, (midnight + timedelta(minutes=self.start), close_day + timedelta(minutes=self.end))


@lru_cache(maxsize=512)  # a month's estimate on many models asks the same zone over the same month again and again
def offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[tuple[datetime, datetime, timedelta], ...]:
    """[start, end) cut where the zone's UTC offset changes: (from, to, offset) with one offset each."""
    return tuple(_offset_segments(zone, start, end))


def _offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime, timedelta]]:
    segments = []
    cursor, offset = start, _offset(zone, start)
    while cursor < end:
        change = _next_change(zone, cursor, end, offset)
        segments.append((cursor, change, offset))
        if change < end:
            offset = _offset(zone, change)
        cursor = change
    return segments


def _next_change(zone: ZoneInfo, start: datetime, end: datetime, offset: timedelta) -> datetime:
    # zoneinfo does not expose its transitions: sample hourly, then bisect to the second (tzdata transitions
    # fall on whole seconds).
    low = math.floor(start.timestamp())
    while True:
        high = low + _SAMPLE_STEP
        if high >= end.timestamp():
            high = math.ceil(end.timestamp())
            if _offset_at(zone, high) == offset:
                return end
        if _offset_at(zone, high) != offset:
            break
        low = high
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return min(datetime.fromtimestamp(high, UTC), end)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset for an aware instant
    return offset


def _offset_at(zone: ZoneInfo, seconds: int) -> timedelta:
    return _offset(zone, datetime.fromtimestamp(seconds, UTC))


def _naive(instant: datetime) -> datetime:
    return instant.replace(tzinfo=None)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1].end:
            if high > merged[-1].end:
                merged[-1] = Span(merged[-1].start, high)
        else:
            merged.append(Span(low, high))
    return merged


def parse_clock(text: str, field_name: str, *, allow_24: bool = False) -> int:
    """'16:30' -> 990 minutes after midnight; '24:00' only where `allow_24` (an end)."""
    ok = isinstance(text, str) and len(text) == 5 and text[2] == ":" and text[:2].isdigit() and text[3:].isdigit()
    hours, minutes = (int(text[:2]), int(text[3:])) if ok else (-1, -1)
    if not ok or minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        latest = "24:00" if allow_24 else "23:59"
        raise WindowError(field_name, f"{field_name} must be a local time HH:MM from 00:00 to {latest}, got {text!r}")
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_days(names: Sequence[str]) -> frozenset[int]:
    unknown = [name for name in names if name not in DAY_NAMES]
    if unknown or not names:
        raise WindowError("days", f"days must list at least one of {', '.join(DAY_NAMES)}; got {list(names)!r}")
    return frozenset(DAY_NAMES.index(name) for name in names)


def day_names(days: frozenset[int]) -> list[str]:
    return [DAY_NAMES[number] for number in sorted(days)]
