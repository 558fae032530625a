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

from bench.harness import app_env, free_port, served, uvicorn_command
from bench.scale_catalog import load_history
from bench.scale_measure import client_for
from service.db import migrations
from service.db.embedded import embedded_database

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
        stack.enter_context(served(uvicorn_command(port), port, app_env(url), ready_timeout=600))
        ready = time.perf_counter() - started
        client = stack.enter_context(client_for(port))
        figures = {}
        for model, periods in ((shallow_id, 10), (deep_id, deep)):
            paths = [f"/v1/models/{model}/price?at={at}" for at in instants(periods)]
            for path in paths:
                timed(client, path, 5)  # warm-up
            figures[model] = [t for _ in range(5 if quick else 20) for path in paths for t in timed(client, path, 2)]
    print(f"\nPoint-in-time read, {total:,} price rows (loaded in {seconds:.1f} s; the app ready {ready:.1f} s later),"
          " at the first, middle and last period, client ms:")
    print("| model | periods | median | p90 | max |\n|---|---|---|---|---|")
    for (model, times), periods in zip(figures.items(), (10, deep), strict=True):
        ordered = sorted(times)
        print(f"| {model} | {periods:,} | {statistics.median(ordered):.2f} | {ordered[int(0.9 * len(ordered))]:.2f} "
              f"| {ordered[-1]:.2f} |")
    shallow, deepest = (statistics.median(times) for times in figures.values())
    print(f"ratio of medians, {deep:,} periods to 10: {deepest / shallow:.2f} (goal: within 2x)")
