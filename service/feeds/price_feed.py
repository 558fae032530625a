"""Every model's effective price at an instant, from the snapshot, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import weakref
from datetime import datetime
from typing import NamedTuple

import msgspec

from service.catalog import render
from service.feeds import schemas
from service.pricing.prices import MORE_PRICES
from service.pricing.timeline import EffectivePrice
from service.snapshot.catalog_snapshot import CatalogSnapshot

_ENCODER = msgspec.json.Encoder()
CSV_COLUMNS = (
    "model", "provider", "price_id", "currency",
    "input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok",
    "effective_input_per_mtok", "effective_output_per_mtok", "effective_cache_read_per_mtok",
    "effective_cache_write_per_mtok", "promotions", "rules",
    # Added with migration 0016, last so that the columns before them keep their places.
    *MORE_PRICES, *(f"effective_{name}" for name in MORE_PRICES),
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


def price_feed_json(snapshot: CatalogSnapshot, at: datetime, asked: datetime | None) -> bytes:
    """`price_feed` as JSON, byte for byte, from each model's row encoded once: after a write, only the rows of
    the models it changed are encoded again (a whole 10,000-model feed took 45 ms to build and encode)."""
    head = _ENCODER.encode(schemas.PriceFeed(at=asked, currency="USD", data=[]))[: -len(b"]}")]
    rows = []
    for model_id, info in snapshot.models.items():  # by id, as price_feed lists them
        timeline = snapshot.timelines.get(model_id)
        price = timeline.price_at(at) if timeline is not None else None
        if price is not None:
            rows.append(_row(model_id, info.provider, at, price))
    return head + b",".join(rows) + b"]}"


class _Row(NamedTuple):
    model_id: str
    provider: str
    json: bytes


# Encoded rows by the identity of the snapshot's EffectivePrice objects, each kept exactly as long as its price
# object lives (a weak finalizer drops it), as service.catalog.render keeps their rendered parts.
_ROWS: dict[int, _Row] = {}


def _row(model_id: str, provider: str, at: datetime, price: EffectivePrice) -> bytes:
    cached = _ROWS.get(id(price))
    if cached is not None and cached.model_id == model_id and cached.provider == provider:
        return cached.json
    rendered = render.effective_price(model_id, at, price)  # its `at` is not part of a feed row
    encoded = _ENCODER.encode(schemas.FeedPrice(
        model=model_id, provider=provider, price_id=rendered.price_id, list=rendered.list,
        promotions=rendered.promotions, effective=rendered.effective, rules=rendered.rules,
    ))
    if cached is None:
        weakref.finalize(price, _ROWS.pop, id(price), None)
    _ROWS[id(price)] = _Row(model_id, provider, encoded)
    return encoded


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
        more = [getattr(prices_out, name) for prices_out in (row.list, row.effective) for name in MORE_PRICES]
        cells = (row.model, row.provider, row.price_id, "USD", *["" if p is None else p for p in prices],
                 promotions, rules, *["" if p is None else p for p in more])
        writer.writerow([spreadsheet_safe(str(cell)) for cell in cells])
    return out.getvalue().encode()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: one that starts with =, +, -, @, a tab or a carriage return
    gets a leading single quote (OWASP, "CSV Injection"). Promotion names are free text; every cell is escaped
    all the same, so no later column can forget it."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell
