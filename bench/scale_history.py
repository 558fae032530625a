"""bench.scale --history: how `GET /v1/models/{id}/price?at=` grows with one model's history, one model with 10
periods against one with 100,000, in a price table of 1,000,000 rows."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
from sqlalchemy import select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from bench.harness import api_key, app_env, free_port, served, uvicorn_command
from bench.scale_catalog import dsn, load_history
from bench.scale_measure import Writes, client_for, commit_to_visible
from service.catalog.list_queries import covers
from service.db import migrations
from service.db.embedded import embedded_database
from service.db.models import PriceRow

FIRST_DAY = datetime(2000, 1, 1, 12, tzinfo=UTC)  # noon of the first period's day


def instants(periods: int) -> list[str]:
    """Noon of the first, middle and last period's day: early, middle and latest history."""
    return [quote((FIRST_DAY + timedelta(days=day)).isoformat()) for day in (1, periods // 2, periods - 1)]


def timed(client, path: str, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def history_figures(quick: bool = False, deep: int = 100_000, total: int = 1_000_000) -> None:
    if quick:
        deep, total = 10_000, 100_000
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(embedded_database(Path(data_dir)))
        migrations.upgrade(url)
        deep_id, shallow_id, seconds = asyncio.run(load_history(url, deep, total))
        started = time.perf_counter()
        port = free_port()
        stack.enter_context(served(uvicorn_command(port), port, app_env(url), ready_timeout=900))
        ready = time.perf_counter() - started
        # The worker reads the whole catalog once more when its listener connects, while it already serves: a
        # write made visible says that is over, and the reads are timed after it.
        writes = Writes(api_key(url, "catalog:write"), ["history-filler-00000"])
        settled = commit_to_visible(port, writes, workers=1, count=1, patience=900)[0] / 1000
        client = stack.enter_context(client_for(port))
        figures = {}
        for model, periods in ((shallow_id, 10), (deep_id, deep)):
            paths = [f"/v1/models/{model}/price?at={at}" for at in instants(periods)]
            for path in paths:
                timed(client, path, 5)  # warm-up
            figures[model] = [t for _ in range(5 if quick else 20) for path in paths for t in timed(client, path, 2)]
        plan = asyncio.run(query_plan(url, deep_id, FIRST_DAY + timedelta(days=deep // 2)))
    print(f"\nPoint-in-time read, {total:,} price rows (loaded in {seconds:.0f} s; the worker served {ready:.0f} s "
          f"later and had read the catalog a second time {settled:.0f} s after that), at the first, middle and last "
          "period, client ms:")
    print("| model | periods | median | p90 | max |\n|---|---|---|---|---|")
    for (model, times), periods in zip(figures.items(), (10, deep), strict=True):
        ordered = sorted(times)
        print(f"| {model} | {periods:,} | {statistics.median(ordered):.2f} | {ordered[int(0.9 * len(ordered))]:.2f} "
              f"| {ordered[-1]:.2f} |")
    shallow, deepest = (statistics.median(times) for times in figures.values())
    print(f"ratio of medians, {deep:,} periods to 10: {deepest / shallow:.2f} (goal: within 2x)")
    print("the price query's plan for the deep model, mid-history:\n    " + "\n    ".join(plan))


async def query_plan(url: str, model: str, at: datetime) -> list[str]:
    """EXPLAIN ANALYZE of the price half of the route's query (service.catalog.price_queries.effective_price),
    compiled from the service's own expression so that the plan shown is the route's, whatever it becomes."""
    query = select(PriceRow).where(PriceRow.model_id == model, covers(PriceRow, at))
    compiled = query.compile(dialect=asyncpg_dialect())
    connection = await asyncpg.connect(dsn(url))
    try:
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}",
                                      *(compiled.params[name] for name in compiled.positiontup or ()))
    finally:
        await connection.close()
    return [row[0] for row in rows]
