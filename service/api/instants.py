"""Parsing the `at` instants that every read accepts: an RFC 3339 timestamp with offset, or a bare date."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from functools import lru_cache

from service.api.problems import InvalidInstant


def parse_instant(value: str | None, *, field: str = "at") -> datetime:
    """`2026-04-30` means 2026-04-30T00:00:00Z; None means now."""
    if value is None:
        return datetime.now(UTC)
    return _parse(value, field)


@lru_cache(maxsize=1024)  # batches and busy frontends repeat the same few instants
def _parse(value: str, field: str) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            instant: datetime | None = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            instant = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        instant = None
    # One range for both forms, in UTC: years 2 to 9998 leave a day's margin at either end of what datetime can
    # hold, which the day-by-day arithmetic of time windows and months needs.
    utc = None
    if instant is not None and instant.tzinfo is not None:
        with contextlib.suppress(OverflowError):  # 9999-12-31T23:59:59-01:00 is past what datetime holds
            utc = instant.astimezone(UTC)
    if utc is None or not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise InvalidInstant(f"{field} must be an RFC 3339 timestamp with an offset (2026-04-30T12:00:00Z) or a "
                             f"date (2026-04-30), from year {FIRST_YEAR} to {LAST_YEAR}; got {value[:40]!r}", field)
    return utc


FIRST_YEAR, LAST_YEAR = 2, 9998
