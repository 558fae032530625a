"""The retry schedule: exponential, capped, with jitter so that many failed deliveries do not retry in step."""

from __future__ import annotations

import random


def next_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempt`-th failure: base * 2^(attempt-1), capped, then between half and all
    of it ("equal jitter": never sooner than half the schedule, never in lockstep)."""
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
