"""POST /v1/estimate/project: over every priced offering of a large catalog, and over the article's six models with
one hybrid under load.

Run: `python -m bench.project_estimate` (needs `wrk`). It prints figures; it asserts nothing.
- In process: the estimate over every offering of a synthetic snapshot (N offerings, flat prices, a context tier
  on every third), with the seed's assumptions, body encoded; no database, as the route prices from the snapshot.
  The garbage collector is set as a served process sets it (the snapshot frozen, a higher young threshold).
- Served: one uvicorn worker on an embedded, seeded PostgreSQL; wrk with 32 connections posts the article's six
  models with the V4-Flash-then-Opus hybrid. The route makes no query: assumptions and prices are in process.
"""

from __future__ import annotations

import gc
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import msgspec

from bench.harness import app_env, free_port, seeded_database, served, uvicorn_command
from service.catalog.assumption_seed import assumption_document
from service.db.models import AssumptionRow
from service.estimates import project_schemas as wire
from service.estimates.project import estimate_project
from service.estimates.project_assumptions import assumption_set
from service.pricing.prices import TokenPrices
from service.pricing.rules import ContextTier, PriceRules
from service.pricing.timeline import ModelTimeline, PricePeriod
from service.snapshot.catalog_snapshot import CatalogSnapshot, ModelInfo

AT = datetime(2026, 5, 10, tzinfo=UTC)
SIX = ["deepseek-v4-flash", "deepseek-v4-pro", "gpt-4.1", "claude-sonnet-4.6", "claude-opus-4.7", "gpt-5.5"]
HYBRID = {"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"}
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "1000,3000,10000").split(",")]


def synthetic_snapshot(count: int) -> CatalogSnapshot:
    models, timelines = {}, {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(count):
        model = f"bench-{number:05d}" if number % 4 else f"p{number % 50}/bench-{number:05d}"
        prices = TokenPrices(Decimal(number % 97 + 1) / 10, Decimal(number % 89 + 2) / 5, Decimal("0.01"))
        tiers = (ContextTier(100_000, TokenPrices(prices.input_per_mtok * 2, prices.output_per_mtok * 2)),)
        rules = PriceRules(tiers=tiers) if number % 3 == 0 else PriceRules()
        models[model] = ModelInfo(model, model.partition("/")[0] if "/" in model else "bench", model, None)
        timelines[model] = ModelTimeline([PricePeriod(number + 1, start, None, prices, rules)], [])
    return CatalogSnapshot(models=models, timelines=timelines, loaded_at=datetime.now(UTC))


def seed_assumptions():  # type: ignore[no-untyped-def]
    doc = assumption_document()
    rows = [AssumptionRow(id=number, kind=item["figures"]["kind"], key=item["key"], version=1,
                          figures=item["figures"], assumed=item["assumed"], source=item["source"],
                          valid_from=AT, valid_to=None) for number, item in enumerate(doc["assumptions"], start=1)]
    return assumption_set(rows)


def in_process(count: int, tooling: str, runs: int = 15, breakdown: bool = True) -> tuple[float, float, int]:
    """Median wall and CPU milliseconds of one estimate, and the body's bytes."""
    snapshot, assumptions = synthetic_snapshot(count), seed_assumptions()
    # As a served process does at start (settle_memory in service/http/app.py): the snapshot frozen out of the
    # collector's sight, and main() raised the young generation's threshold the same way.
    gc.collect()
    gc.freeze()
    request = msgspec.convert({"project": {"size": "medium", "features": 40, "tooling": tooling},
                               "all_models": True, "breakdown": breakdown, "strategies": [
                                   {"kind": "hybrid", "draft": "bench-00001", "review": "bench-00002"}]},
                              wire.ProjectEstimateRequest)
    times, cpu, size = [], [], 0
    for _ in range(runs + 2):
        started, started_cpu = time.perf_counter(), time.process_time()
        body = msgspec.json.encode(estimate_project(snapshot, assumptions, request, AT).body)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        size = len(body)
    # CPU time too: on a shared machine the wall time also counts the other processes' turns.
    return statistics.median(times[2:]), statistics.median(cpu[2:]), size


def served_under_load(duration: str = "10s") -> tuple[float, float, float]:
    body = {"project": {"size": "medium", "features": 40, "tooling": "ide-assistant"}, "models": SIX,
            "at": "2026-05-10", "strategies": [HYBRID]}
    with seeded_database() as url:
        port = free_port()
        with served(uvicorn_command(port), port, app_env(url)):
            rps, p99 = _wrk(port, body, 32, duration)
            _, p99_single = _wrk(port, body, 1, "5s")
    return rps, p99, p99_single


def _wrk(port: int, body: dict, connections: int, duration: str) -> tuple[float, float]:
    """Requests per second and p99 latency in ms."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}/v1/estimate/project"], capture_output=True, text=True,
                         check=True).stdout
    script.unlink()
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main() -> None:
    gc.set_threshold(10_000, 20, 20)  # as service/http/app.py's settle_memory
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("In process, every offering, medium project of 40 features, one hybrid (median of 15, body encoded):")
    for count in SIZES:
        for tooling in ("chat", "autonomous-agent"):
            wall, cpu, size = in_process(count, tooling)
            print(f"  {count:6d} offerings, {tooling:17s}: wall {wall:6.1f} ms, CPU {cpu:6.1f} ms, "
                  f"body {size / 1e6:.1f} MB")
            wall, cpu, size = in_process(count, tooling, breakdown=False)
            print(f"  {count:6d} offerings, {tooling:17s}, breakdown false: wall {wall:6.1f} ms, CPU {cpu:6.1f} ms, "
                  f"body {size / 1e6:.1f} MB")
    rps, p99, p99_single = served_under_load(os.environ.get("BENCH_DURATION", "10s"))
    print(f"Served, six models + hybrid, 1 worker, wrk -c32: {rps:.0f} req/s, p99 {p99:.2f} ms; "
          f"one connection: p99 {p99_single:.2f} ms")


if __name__ == "__main__":
    main()
