"""Every model's effective price at an instant, from the snapshot, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import msgspec

from service.catalog import render
from service.feeds import schemas
from service.pricing.timeline import EffectivePrice
from service.snapshot.catalog_snapshot import CatalogSnapshot

CSV_COLUMNS = (
    "model", "provider", "price_id", "currency",
    "input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok",
    "effective_input_per_mtok", "effective_output_per_mtok", "effective_cache_read_per_mtok",
    "effective_cache_write_per_mtok", "promotions", "rules",
)


def prices_at(snapshot: CatalogSnapshot, at: datetime) -> list[tuple[str, EffectivePrice]]:
    """Every model priced at that instant (one not launched yet, or withdrawn, is left out), by id."""
    found = ((model_id, timeline.price_at(at)) for model_id, timeline in sorted(snapshot.timelines.items()))
    return [(model_id, price) for model_id, price in found if price is not None]


def price_feed(snapshot: CatalogSnapshot, at: datetime, asked: datetime | None) -> schemas.PriceFeed:
    data = []
    for model_id, found in prices_at(snapshot, at):
        price = render.effective_price(model_id, at, found)
        data.append(schemas.FeedPrice(
            model=model_id, provider=snapshot.models[model_id].provider, price_id=price.price_id,
            list=price.list, promotions=price.promotions, effective=price.effective, rules=price.rules,
        ))
    return schemas.PriceFeed(at=asked, currency="USD", data=data)


def as_csv(feed: schemas.PriceFeed) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in feed.data:
        prices = [row.list.input_per_mtok, row.list.output_per_mtok, row.list.cache_read_per_mtok,
                  row.list.cache_write_per_mtok, row.effective.input_per_mtok, row.effective.output_per_mtok,
                  row.effective.cache_read_per_mtok, row.effective.cache_write_per_mtok]
        promotions = ";".join(f"{p.name} ({p.percent_off}% off)" for p in row.promotions)
        # The rules as their compact JSON document, empty for a flat rate: CSV has no better place for a tree.
        flat = not (row.rules.context_tiers or row.rules.time_windows or row.rules.variants)
        rules = "" if flat else msgspec.json.encode(row.rules).decode()
        writer.writerow([row.model, row.provider, row.price_id, "USD", *["" if p is None else p for p in prices],
                         promotions, rules])
    return out.getvalue().encode()
