"""The retry schedule and the event catalogue, without a database."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from service.feeds.webhooks.backoff import next_delay
from service.feeds.webhooks.events import LoggedChange, valid_pattern, wanted


def test_retries_back_off_exponentially_with_jitter_up_to_the_cap():
    rng = random.Random(7)
    for attempt in range(1, 30):
        ceiling = min(3600.0, 5.0 * 2 ** (attempt - 1))
        delays = {next_delay(attempt, 5.0, 3600.0, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered: failed deliveries do not retry in step
    assert next_delay(1000, 5.0, 3600.0) <= 3600.0


def _change(kind: str, obj: dict, provider: str | None = None, model: str | None = None) -> LoggedChange:
    return LoggedChange(1, kind, datetime(2026, 12, 4, tzinfo=UTC), obj, provider, model)


def test_event_types_name_offerings_and_ended_promotions():
    assert _change("model.created", {"id": "gpt-4.1"}).event_type == "model.created"
    assert _change("model.updated", {"id": "together/x"}).event_type == "offering.updated"
    assert _change("promotion.deleted", {"id": 3}).event_type == "promotion.ended"
    assert _change("price.created", {"id": 3}).event_type == "price.created"


def test_patterns_and_filters():
    assert all(valid_pattern(p) for p in ("*", "price.created", "offering.*", "correction.created"))
    assert not any(valid_pattern(p) for p in ("price", "price.exploded", "nothing.*", "**"))
    price = _change("price.created", {"id": 1, "model": "m"}, provider="p", model="m")
    assert wanted(price, ["price.*"], None, None) and wanted(price, ["*"], ["p"], ["m"])
    assert not wanted(price, ["model.*"], None, None)
    assert not wanted(price, ["*"], ["q"], None) and not wanted(price, ["*"], None, ["n"])
