"""Synthetic catalogs for bench.scale: N models over 50 providers, five consecutive price periods each, rules on
some prices and promotions on some models, bulk-loaded with COPY; a deep price history; and the same catalog as a
LiteLLM cost map for `pricing-api catalog import`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

PROVIDERS = 50
PERIODS = 5
SOURCE = "bench:scale"
# Period boundaries: every model has five, the last open-ended from some day of January 2026, so July 2026 (the
# month the monthly figure prices) sits in the open period for every model.
FIRST_START = datetime(2025, 1, 1, tzinfo=UTC)
PERIOD_LENGTH = timedelta(days=91)
TIER = {"above_prompt_tokens": 200000, "input_per_mtok": "4", "output_per_mtok": "18", "cache_read_per_mtok": None,
        "cache_write_per_mtok": None}
OFF_PEAK = {"name": "off-peak", "timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "16:30", "end": "00:30", "excluded_dates": [], "multiplier": "0.5"}
BATCH = {"kind": "batch", "multiplier": "0.5"}


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def model_id(number: int) -> str:
    return f"scale-{number:05d}"


def provider_id(number: int) -> str:
    return f"scale-provider-{number % PROVIDERS:02d}"


def rules_of(number: int, period: int) -> str:
    """Rules on the two latest periods of some models: a context tier on every third, a batch variant on every
    fourth, a daily off-peak window on every fifth; the rest, and older periods, are flat."""
    recent = period >= PERIODS - 2
    return json.dumps({
        "context_tiers": [TIER] if recent and number % 3 == 0 else [],
        "time_windows": [OFF_PEAK] if recent and number % 5 == 0 else [],
        "variants": [BATCH] if recent and number % 4 == 0 else [],
    })


def price_rows(count: int) -> Iterator[tuple[object, ...]]:
    for number in range(count):
        shift = timedelta(days=number % 28)
        for period in range(PERIODS):
            start = FIRST_START + shift + period * PERIOD_LENGTH
            end = None if period == PERIODS - 1 else start + PERIOD_LENGTH
            base = Decimal(number % 97 + 1) / 10 + Decimal(PERIODS - period) / 100
            yield (model_id(number), start, end, base, base * 4, base / 10, None, SOURCE, rules_of(number, period))


def promotion_rows(count: int) -> Iterator[tuple[object, ...]]:
    """One model in five has a promotion in February 2026; one in ten a second one inside July 2026."""
    for number in range(0, count, 5):
        yield (model_id(number), "winter", Decimal(25), datetime(2026, 2, 1, tzinfo=UTC),
               datetime(2026, 3, 1, tzinfo=UTC), SOURCE)
        if number % 10 == 0:
            yield (model_id(number), "summer", Decimal(50), datetime(2026, 7, 10, tzinfo=UTC),
                   datetime(2026, 7, 20, tzinfo=UTC), SOURCE)


PRICE_COLUMNS = ("model_id", "valid_from", "valid_to", "input_per_mtok", "output_per_mtok", "cache_read_per_mtok",
                 "cache_write_per_mtok", "source", "rules")
PROMOTION_COLUMNS = ("model_id", "name", "percent_off", "valid_from", "valid_to", "source")


# The change log gets one entry a row, as the triggers would have written them (as migration 0003 backfills it).
BACKFILL = """
    INSERT INTO catalog_changes (seq, kind, object)
    SELECT (SELECT last_seq FROM change_counter) + row_number() OVER (ORDER BY x.id), '{kind}.created', to_jsonb(x)
    FROM {table} x WHERE x.{column} LIKE 'scale-%';
    UPDATE change_counter SET last_seq = (SELECT max(seq) FROM catalog_changes);
"""


async def load_catalog(url: str, count: int) -> float:
    """Add `count` models with their prices and promotions in one transaction, through COPY, and their entries in
    the change log. Row triggers are off during the COPY (session_replication_role = replica): with them, each
    row's change-log entry updates the log's one-row counter, and 62,000 updates of one row in one transaction
    took 66 s for 10,000 models. The constraints (exclusion, CHECKs on prices and rules) still hold, and the log
    is filled afterwards in one statement a table. Returns the seconds it took."""
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn(url))
    try:
        await connection.execute("SET session_replication_role = replica")
        async with connection.transaction():
            await connection.copy_records_to_table(
                "providers", columns=("id", "name"),
                records=[(provider_id(n), f"Scale provider {n}") for n in range(PROVIDERS)])
            await connection.copy_records_to_table(
                "models", columns=("id", "provider_id", "name", "context_window"),
                records=[(model_id(n), provider_id(n), f"Scale model {n}", 128000 + n % 5 * 64000)
                         for n in range(count)])
            await connection.copy_records_to_table("prices", columns=PRICE_COLUMNS, records=price_rows(count))
            await connection.copy_records_to_table("promotions", columns=PROMOTION_COLUMNS,
                                                   records=promotion_rows(count))
            for table, kind, column in (("providers", "provider", "id"), ("models", "model", "id"),
                                        ("prices", "price", "model_id"), ("promotions", "promotion", "model_id")):
                await connection.execute(BACKFILL.format(table=table, kind=kind, column=column))
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


NO_OVERLAP = """ALTER TABLE prices ADD CONSTRAINT prices_no_overlap
    EXCLUDE USING gist (model_id WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&)"""


async def load_history(url: str, deep: int, total: int, shallow: int = 10) -> tuple[str, str, float]:
    """One model with `deep` daily periods, one with `shallow`, and filler models of 100 periods each up to `total`
    price rows. Triggers are off for this load only (session_replication_role = replica): a million change-log
    entries would take minutes and say nothing about a read; the exclusion constraint and the CHECKs still hold.
    Returns the two models' ids and the seconds the load took."""
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn(url))
    deep_id, shallow_id = "history-deep", "history-shallow"
    filler = (total - deep - shallow) // 100
    ids = [deep_id, shallow_id, *(f"history-filler-{n:05d}" for n in range(filler))]
    periods = {deep_id: deep, shallow_id: shallow, **dict.fromkeys(ids[2:], 100)}

    def rows() -> Iterator[tuple[object, ...]]:
        start = datetime(2000, 1, 1, tzinfo=UTC)
        for model in ids:
            for day in range(periods[model]):
                end = None if day == periods[model] - 1 else start + timedelta(days=day + 1)
                price = Decimal(day % 1000 + 1) / 100
                yield (model, start + timedelta(days=day), end, price, price * 4, None, None, SOURCE,
                       rules_of(0, 0))

    try:
        await connection.execute("SET session_replication_role = replica")
        async with connection.transaction():
            await connection.execute("INSERT INTO providers (id, name) VALUES ('history', 'History')")
            await connection.copy_records_to_table(
                "models", columns=("id", "provider_id", "name"), records=[(m, "history", m) for m in ids])
            # The exclusion constraint is built once over the loaded rows, as its migration defines it: a
            # million single inserts into its GiST index took over five minutes here.
            await connection.execute("ALTER TABLE prices DROP CONSTRAINT prices_no_overlap")
            await connection.copy_records_to_table("prices", columns=PRICE_COLUMNS, records=rows())
            await connection.execute(NO_OVERLAP)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return deep_id, shallow_id, time.perf_counter() - started


def litellm_file(path: Path, count: int) -> None:
    """The catalog's current prices as a LiteLLM cost map: per-token prices, a 200k tier on every third model and
    batch prices on every fourth, as `bench.scale` loads them."""
    entries = {}
    for number in range(count):
        base = Decimal(number % 97 + 1) / 10 + Decimal("0.01")
        entry = {"input_cost_per_token": float(base / 1_000_000), "output_cost_per_token": float(base * 4 / 1_000_000),
                 "cache_read_input_token_cost": float(base / 10 / 1_000_000), "max_input_tokens": 128000,
                 "litellm_provider": provider_id(number), "mode": "chat"}
        if number % 3 == 0:
            entry["input_cost_per_token_above_200k_tokens"] = 4e-06
            entry["output_cost_per_token_above_200k_tokens"] = 1.8e-05
        if number % 4 == 0:
            entry["input_cost_per_token_batches"] = float(base / 2 / 1_000_000)
            entry["output_cost_per_token_batches"] = float(base * 2 / 1_000_000)
        entries[f"{provider_id(number)}/{model_id(number)}"] = entry
    path.write_text(json.dumps(entries))
