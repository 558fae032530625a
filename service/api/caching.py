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
    With a settled `known_at` and `at` not after it, nothing can change the answer: corrections are recorded later
    than `known_at`, and the changes still made in place (a promotion still to come, an open period closed at a
    future instant) touch only instants after their write, so after `known_at`."""
    if not fixed:
        return NOW
    return FOREVER if known_at is not None and settled(at, known_at, now) else A_MINUTE


def settled(at: datetime, known_at: datetime, now: datetime | None = None) -> bool:
    """Whether nothing can change what the catalog said at `known_at` about the instant `at` any more."""
    return at <= known_at <= (now or datetime.now(UTC)) - SETTLED_AFTER
