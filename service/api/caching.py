"""How long an answer about the past may be cached: what may still change it decides (docs/history.md, Caching)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A record time this old is settled: no transaction that began before it is still to commit (writes take
# milliseconds), so nothing recorded at or before it can appear later. Rows are stamped with their transaction's
# start, so a younger known_at could still learn of a correction that commits after the answer.
SETTLED_AFTER = timedelta(hours=1)
FOREVER = "public, max-age=31536000, immutable"
A_MINUTE = "public, max-age=60"
NOW = "no-cache"


def cache_control(fixed: bool, at: datetime, known_at: datetime | None, now: datetime | None = None) -> str:
    """`fixed`: the request named its instant (`at` or `requested_at`); "now" must be revalidated each time.

    Without `known_at`, a past instant's answer changes when a correction is recorded: a minute, never forever.
    With a settled `known_at`, nothing can change the answer, whatever `at` is: corrections are recorded later than
    `known_at`, and since migration 0019 no write changes a row in place (every change supersedes and records
    anew), so what the catalog said at `known_at` about any instant stays as it was."""
    if not fixed:
        return NOW
    return FOREVER if known_at is not None and settled(known_at, now) else A_MINUTE


def settled(known_at: datetime, now: datetime | None = None) -> bool:
    """Whether nothing can change what the catalog said at `known_at` any more, about any instant."""
    return known_at <= (now or datetime.now(UTC)) - SETTLED_AFTER
