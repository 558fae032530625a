"""The feed cache: bodies of the current snapshot only, a "now" body until the next price change, best encoding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest

from service.feeds.cache import FeedBody, FeedCache, chosen_encoding, next_price_change
from service.feeds.price_feed import price_feed, price_feed_json
from service.pricing.prices import TokenPrices
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.snapshot.catalog_snapshot import CatalogSnapshot, ModelInfo

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FLAT = TokenPrices(Decimal(1), Decimal(2))


def _snapshot(*timelines: ModelTimeline) -> CatalogSnapshot:
    return CatalogSnapshot(models={}, timelines={f"m{n}": t for n, t in enumerate(timelines)}, loaded_at=JAN)


def test_a_body_is_rendered_once_per_snapshot_and_dropped_with_it():
    cache, renders = FeedCache(), []

    def render() -> FeedBody:
        renders.append(1)
        return FeedBody(b"{}", "application/json", None)

    first, second = _snapshot(), _snapshot()
    assert cache.body(first, "k", JAN, render) is cache.body(first, "k", JAN, render)
    assert len(renders) == 1
    cache.body(second, "k", JAN, render)
    assert len(renders) == 2
    assert cache.body(first, "k", JAN, render) is not None and len(renders) == 3  # the first's body was dropped


def test_a_body_for_now_is_made_again_once_a_price_changes():
    promotion = Discount(1, "launch", Decimal(50), JAN + timedelta(days=10), JAN + timedelta(days=20))
    snapshot = _snapshot(ModelTimeline([PricePeriod(1, JAN, None, FLAT)], [promotion]))
    assert next_price_change(snapshot, JAN) == JAN + timedelta(days=10)
    assert next_price_change(snapshot, JAN + timedelta(days=15)) == JAN + timedelta(days=20)
    assert next_price_change(snapshot, JAN + timedelta(days=25)) is None
    cache = FeedCache()
    made = cache.body(snapshot, "now", JAN, lambda: FeedBody(b"a", "text/csv", next_price_change(snapshot, JAN)))
    assert cache.body(snapshot, "now", JAN + timedelta(days=9), lambda: FeedBody(b"b", "text/csv", None)) is made
    later = cache.body(snapshot, "now", JAN + timedelta(days=10), lambda: FeedBody(b"b", "text/csv", None))
    assert later.body == b"b"


def test_the_cache_holds_a_bounded_number_of_bodies():
    cache, snapshot = FeedCache(), _snapshot()
    bodies = [cache.body(snapshot, n, JAN, lambda: FeedBody(b"x", "text/csv", None)) for n in range(100)]
    assert cache.body(snapshot, 99, JAN, lambda: FeedBody(b"y", "text/csv", None)) is bodies[99]
    assert cache.body(snapshot, 0, JAN, lambda: FeedBody(b"y", "text/csv", None)).body == b"y"  # evicted, made again


@pytest.mark.parametrize(("header", "chosen"), [
    ("", "identity"), ("gzip", "gzip"), ("gzip, br", "br"), ("gzip, br, zstd", "zstd"), ("br;q=0.5, gzip", "gzip"),
    ("zstd;q=0, gzip", "gzip"), ("*", "zstd"), ("*;q=0, identity", "identity"), ("deflate", "identity"),
    ("gzip;q=nonsense", "identity"), ("GZIP", "gzip"),
])
def test_the_best_accepted_encoding_is_chosen(header, chosen):
    assert chosen_encoding(header) == chosen


def test_the_json_feed_from_cached_rows_is_the_feed_byte_for_byte():
    promotion = Discount(7, "launch", Decimal(75), JAN, JAN + timedelta(days=10))
    first = ModelTimeline([PricePeriod(1, JAN, JAN + timedelta(days=20), FLAT),
                           PricePeriod(2, JAN + timedelta(days=20), None, TokenPrices(Decimal("0.5"), Decimal(1)))],
                          [promotion])
    later = ModelTimeline([PricePeriod(3, JAN + timedelta(days=5), None, FLAT)])
    models = {"a-model": ModelInfo("a-model", "maker", "A", None), "b-model": ModelInfo("b-model", "other", "B", 10)}
    snapshot = CatalogSnapshot(models=models, timelines={"b-model": later, "a-model": first}, loaded_at=JAN)
    for days in (0, 3, 5, 12, 25):
        at = JAN + timedelta(days=days)
        for asked in (None, at):
            assert price_feed_json(snapshot, at, asked) == msgspec.json.encode(price_feed(snapshot, at, asked))
    # A model that moves to another provider keeps its price objects; its row is made again.
    moved = CatalogSnapshot(models={**models, "a-model": ModelInfo("a-model", "reseller", "A", None)},
                            timelines=snapshot.timelines, loaded_at=JAN)
    assert b'"reseller"' in price_feed_json(moved, JAN, None)
    assert price_feed_json(moved, JAN, None) == msgspec.json.encode(price_feed(moved, JAN, None))
