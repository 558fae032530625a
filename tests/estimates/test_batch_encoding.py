"""A batch's answer is encoded a slice of items at a time (so the event loop is let in between): the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest

from service.estimates.answers import answer_batch
from service.estimates.batch import estimate_batch
from service.pricing.prices import TokenPrices
from service.pricing.timeline import ModelTimeline, PricePeriod
from service.snapshot.catalog_snapshot import CatalogSnapshot, ModelInfo

START = datetime(2026, 1, 1, tzinfo=UTC)
SNAPSHOT = CatalogSnapshot(
    models={f"m{n}": ModelInfo(f"m{n}", "p", f"m{n}", None) for n in range(3)},
    timelines={f"m{n}": ModelTimeline([PricePeriod(n + 1, START, None, TokenPrices(Decimal(n + 1), Decimal("0.5")))],
                                      []) for n in range(3)},
    loaded_at=START)


@pytest.mark.parametrize("count", [0, 1, 499, 500, 501, 1234])
def test_the_sliced_answer_is_the_whole_encoding_byte_for_byte(count):
    items = [{"model": f"m{n % 3}", "input_tokens": n, "output_tokens": 7, "at": "2026-05-10"} if n % 5
             else {"model": "unknown"} for n in range(count)]
    body = msgspec.json.encode({"items": items})
    answer = answer_batch(SNAPSHOT, body)
    whole = msgspec.json.encode(estimate_batch(SNAPSHOT, items).body)
    assert answer.status == 200 and answer.body == whole
