"""Parsing the `at` instants that every read accepts: an RFC 3339 timestamp with offset, or a bare date."""

from __future__ import annotations

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
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        instant = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None or not 1 < instant.year < 9999:
        raise InvalidInstant(f"{field} must be an RFC 3339 timestamp with an offset "
                             f"(2026-04-30T12:00:00Z) or a date (2026-04-30), got {value[:40]!r}", field)
    return instant.astimezone(UTC)
