"""Does any request's cost grow with the catalog? Each figure of issue 17 at the seed (6 models) and at generated
catalogs of 1,000 to 10,000 models, in one table.

Run: `.venv/bin/python -m bench.scale [--sizes 1000,3000,10000] [--quick] [--history]` (needs wrk). For each size:
a fresh embedded PostgreSQL, migrated, with the seed and N generated models bulk-loaded (bench.scale_catalog),
then one uvicorn worker (writes, the loop-lag probe, RSS, reads, wrk) and `pricing-api serve --workers 2`
(commit to visible), and an import of the same catalog as a LiteLLM file into an empty database. It prints
figures; it asserts nothing. `--history` adds the point-in-time read on a 1,000,000-row price table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from bench import scale_measure as m
from bench.harness import api_key, app_env, free_port, seeded_database, served, uvicorn_command
from bench.scale_catalog import dsn, litellm_file, load_catalog, model_id
from bench.scale_history import history_figures
from service.db import migrations

SEED_MODELS = ["deepseek-v4-flash", "deepseek-v4-pro", "gpt-5.5", "gpt-4.1", "claude-opus-4.7", "claude-sonnet-4.6"]
FIGURES = [  # key, figure, goal at 10,000 offerings
    ("load", "bulk load of the generated catalog (COPY), s", "seconds"),
    ("lag", "longest event-loop stall during 10 writes/s, ms (wake-ups > 10 ms late)", "<= 10 ms"),
    ("settle", "first write after start visible, 1 worker / 2 workers, ms", ""),
    ("visible", "commit to visible in both of 2 workers, p50 / p99 ms", "p99 <= 100 ms"),
    ("304", "304 on /v1/feeds/prices: server mean / client - /health/live, ms", "<= 1 ms, flat"),
    ("feed", "full JSON price feed, warm (client, identity), ms", "<= 30 ms"),
    ("feed_size", "  its size, bytes", ""),
    ("feed_cold", "  JSON feed, first request after a write, ms", ""),
    ("feed_coded", "  then the same body gzip / zstd / br, first request each, ms", ""),
    ("models", "/v1/models first page under wrk -c8: p99 ms (req/s)", "p99 <= 10 ms"),
    ("monthly", "", "<= 50 ms"),  # labelled by monthly_label()
    ("estimate", "POST /v1/estimate, wrk -c32: req/s (p99 ms); to seed in the same round", "within 10% of seed"),
    ("rss", "RSS after 1,000 writes / after the first (MB)", "<= 1.2"),
    ("import", "catalog import of it as a LiteLLM file: first / unchanged, s wall (inside)", "<= 3 s / <= 1 s"),
]


def monthly_label() -> str:
    if m.MONTHLY_MODELS_PATH:
        return f"monthly for 100 models, one {m.MONTHLY_MODELS_PATH} request, ms"
    return "monthly for 100 models as 100 sequential POST /v1/estimate/monthly, ms"


def median_spread(values: list[float], digits: int = 1) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Catalog:
    """One size's database, with what its measurements share."""

    label: str
    count: int
    url: str
    key: str
    writes: m.Writes
    monthly_models: list[str]
    figures: dict[str, list] = field(default_factory=dict)  # raw measurements, several rounds each


def make_catalog(stack: contextlib.ExitStack, count: int) -> tuple[Catalog, str]:
    url = stack.enter_context(seeded_database())
    loaded = f"{asyncio.run(load_catalog(url, count)):.1f}" if count else "-"
    key = api_key(url, "catalog:write", "feeds:read")
    ids = [model_id(n) for n in range(0, count, max(1, count // 1000))] if count else SEED_MODELS
    # 100 models spread over the catalog; the seed's six, taken in turn, where there are not 100.
    monthly = [model_id(n) for n in range(0, count, max(1, count // 100))][:100] if count else SEED_MODELS
    if not m.MONTHLY_MODELS_PATH:
        monthly = (monthly * 100)[:100]
    label = "seed (6)" if count == 0 else f"{count:,}"
    return Catalog(label, count, url, key, m.Writes(key, ids), monthly), loaded


def write_phase(catalog: Catalog, quick: bool) -> dict[str, str]:
    """On a fresh worker: its first write, then 10 writes/s under the loop-lag probe, then writes up to 1,000;
    RSS after the first and after the last."""
    port = free_port()
    with served(uvicorn_command(port), port, app_env(catalog.url)) as server, m.client_for(port) as client:
        # The first write, once visible, says the worker's start is over (see two_workers).
        settle = m.commit_to_visible(port, catalog.writes, workers=1, count=1, patience=300)[0]
        time.sleep(0.5)
        rss_first = m.rss_mb(server.pid)
        lag, late = m.loop_lag_during_writes(client, catalog.writes, seconds=2 if quick else 6)
        target = catalog.writes.count - 1 + (100 if quick else 1000)
        while catalog.writes.count < target:
            catalog.writes.write(client)
        time.sleep(0.5)
        rss_after = m.rss_mb(server.pid)
    return {"settle": f"{settle:,.0f}", "lag": f"{lag} ({late})",
            "rss": f"{rss_after / rss_first:.2f} ({rss_first:.0f} -> {rss_after:.0f})"}


def read_round(catalog: Catalog, port: int, client: httpx.Client, quick: bool) -> None:
    """One round of every read figure on one catalog's worker; the sizes take turns round by round."""
    duration, got = ("2s" if quick else "4s"), catalog.figures
    got.setdefault("304", []).append(m.feed_304(client, catalog.key, 100 if quick else 300))
    got.setdefault("feed", []).append(m.full_feed(client, catalog.key, 10))
    got.setdefault("feed_cold", []).append(m.feed_after_write(client, catalog.key, catalog.writes, 2))
    got.setdefault("models", []).append(m.wrk(f"http://127.0.0.1:{port}/v1/models", 8, duration))
    got.setdefault("monthly", []).append(m.monthly_for_models(client, catalog.monthly_models))
    got.setdefault("estimate", []).append(
        m.wrk(f"http://127.0.0.1:{port}/v1/estimate", 32, duration, m.ESTIMATE_BODY))


def read_figures(catalog: Catalog) -> dict[str, str]:
    got = catalog.figures
    return {
        "304": f"{median_spread([s for s, _ in got['304']], 3)} / {median_spread([c for _, c in got['304']], 3)}",
        "feed": median_spread([f for f, _ in got["feed"]]),
        "feed_size": f"{got['feed'][-1][1]:,}",
        "feed_cold": median_spread(got["feed_cold"]),
        "models": f"{median_spread([p for _, p in got['models']], 2)} "
                  f"({statistics.median(r for r, _ in got['models']):,.0f})",
        "monthly": median_spread(got["monthly"]),
        "estimate": f"{median_spread([r for r, _ in got['estimate']], 0)} "
                    f"({statistics.median(p for _, p in got['estimate']):.2f})",
    }


def estimate_ratios(catalog: Catalog, seed: Catalog) -> str:
    """Each round's req/s over the seed's in the same round (the two ran a few seconds apart): the machine's
    drift between rounds then cancels out."""
    ratios = [ours / theirs for (ours, _), (theirs, _) in zip(catalog.figures["estimate"], seed.figures["estimate"],
                                                              strict=True)]
    return f"; x{median_spread(ratios, 2)}"


def two_workers(catalog: Catalog, quick: bool) -> dict[str, str]:
    port = free_port()
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"]
    # CATALOG=seed: the database holds the seed already, so `serve` loads nothing; with the default catalog it would
    # add its 4,619 offerings to every size, and the read figures taken after this would not be at the size named.
    with served(command, port, app_env(catalog.url, CATALOG="seed")):
        # A worker serves as soon as it has read the catalog once, then reads it all again when its listener
        # connects: the first write is visible only after that. Timed apart; the figure is the writes after it.
        settle = m.commit_to_visible(port, catalog.writes, workers=2, count=1, patience=300)[0]
        times = m.commit_to_visible(port, catalog.writes, workers=2, count=10 if quick else 50)
    return {"settle_2": f"{settle:,.0f}", "visible": f"{statistics.median(times):.1f} / {percentile(times, 0.99):.1f}"}


def import_figures(url: str, count: int) -> dict[str, str]:
    """`pricing-api catalog import` of the generated catalog as a LiteLLM file, into an empty migrated database on
    the same server, then again unchanged."""
    if not count:
        return {"import": "-"}

    async def create(name: str) -> None:
        connection = await asyncpg.connect(dsn(url))
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()

    asyncio.run(create("scale_import"))
    target = url.rsplit("/", 1)[0] + "/scale_import"
    migrations.upgrade(target)
    results = []
    with tempfile.TemporaryDirectory() as work_dir:
        file = Path(work_dir) / "litellm_scale.json"
        litellm_file(file, count)
        for _ in ("first", "again"):
            started = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "service.cli", "catalog", "import", str(file), "--format",
                                  "litellm"], capture_output=True, text=True, check=True,
                                 env={**os.environ, "DATABASE_URL": target}).stdout
            inside = out.strip().splitlines()[-1].rsplit("(", 1)[-1].rstrip(")")
            results.append(f"{time.perf_counter() - started:.2f} ({inside})")
    return {"import": " / ".join(results)}


def measure(sizes: list[int], quick: bool) -> dict[str, dict[str, str]]:
    """Every size's catalog stays up for the whole run, so that the read figures can take turns round by round:
    on this noisy machine, a burst of load then falls on every size alike."""
    columns: dict[str, dict[str, str]] = {}
    with contextlib.ExitStack() as stack:
        catalogs = []
        for count in (0, *sizes):
            started = time.perf_counter()
            catalog, loaded = make_catalog(stack, count)
            columns[catalog.label] = {"load": loaded} | write_phase(catalog, quick) | two_workers(catalog, quick)
            columns[catalog.label] |= import_figures(catalog.url, count)
            catalogs.append(catalog)
            print(f"  {catalog.label}: loaded, writes, workers, import in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
        servers = []
        for catalog in catalogs:
            port = free_port()
            stack.enter_context(served(uvicorn_command(port), port, app_env(catalog.url)))
            servers.append((catalog, port, stack.enter_context(m.client_for(port))))
        for number in range(1 if quick else 3):
            for catalog, port, client in servers:
                read_round(catalog, port, client, quick)
            print(f"  read round {number + 1} done", file=sys.stderr, flush=True)
        for catalog, _, client in servers:  # once: at 10,000 models a br body takes tens of seconds
            coded = m.compressed_feed_after_write(client, catalog.key, catalog.writes)
            columns[catalog.label]["feed_coded"] = " / ".join(f"{coded[e]:,.0f}" for e in ("gzip", "zstd", "br"))
        for catalog in catalogs:
            columns[catalog.label] |= read_figures(catalog)
            columns[catalog.label]["estimate"] += estimate_ratios(catalog, catalogs[0])
            columns[catalog.label]["settle"] += f" / {columns[catalog.label].pop('settle_2')}"
    return columns


def print_table(columns: dict[str, dict[str, str]]) -> None:
    header = ["figure", *columns, "goal at 10,000"]
    rows = [[monthly_label() if key == "monthly" else label, *(c.get(key, "") for c in columns.values()), goal]
            for key, label, goal in FIGURES]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000",
                        help="generated models per catalog, comma-separated; empty (with --history): the history only")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 models, short phases")
    parser.add_argument("--history", action="store_true", help="also the 1,000,000-row point-in-time read")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench.scale needs wrk: apt-get install wrk")
    sizes = [200] if args.quick else [int(size) for size in args.sizes.split(",") if size]
    started = time.perf_counter()
    if sizes:
        print_table(measure(sizes, args.quick))
        print(f"({time.perf_counter() - started:.0f} s in all)")
    if args.history:
        history_figures(quick=args.quick)


if __name__ == "__main__":
    main()
