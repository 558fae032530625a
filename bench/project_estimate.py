"""POST /v1/estimate/project: over every priced offering of a large catalog, and over the article's six models with
one hybrid under load.

Run: `python -m bench.project_estimate [--before COMMIT]` (needs `wrk`). It prints figures; it asserts nothing.
Environment: BENCH_SIZES (default 1000,3000,10000), BENCH_DURATION (default 10s), BENCH_PARTS (default
in-process,served), BENCH_PRICES=alone for a catalog whose every price differs (the earlier rounds' catalog).
- The default catalog (the one `make run` serves) is read first: how many of its offerings share each distinct price
  (what a session's cost depends on: input, output and cache-read rates and rules).
- In process: the estimate over every offering of a synthetic snapshot of N offerings that share prices as the
  default catalog's do (its sharing, cycled in a fixed shuffled order), a context tier on every third distinct price,
  with the seed's assumptions, body encoded; no database, as the route prices from the snapshot. The garbage
  collector is set as a served process sets it (the snapshot frozen, a higher young threshold). With --before, each
  figure is measured on COMMIT's code (`git archive`, with this checkout's bench) and on this checkout's, taking
  turns, each in a fresh process, and the two answers' bytes are compared.
- Served: one uvicorn worker each for ours (the article's six models with the V4-Flash-then-Opus hybrid; the route
  makes no query) and the bare endpoint (bench/bare_app.py), on an embedded, seeded PostgreSQL. First wrk -c32 (a
  closed loop: its p99 is mostly the queue of 32 requests it keeps) and -c1 for each, then an open loop
  (bench/open_loop.py) at fixed rates of 25, 50 and 75 % of our -c32 throughput, the same rates for both. With
  --before, COMMIT's code is served too (`git archive`), measured the same way beside ours, and the two answers'
  bytes are compared.
- BENCH_PARTS=served-all: an `all_models` project over the default catalog, served, one request at a time from an
  httpx client, end to end: in the batch process and on the batch thread (and COMMIT's code with --before).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from itertools import cycle
from pathlib import Path

import httpx
import msgspec

from bench.harness import ROOT, app_env, checkout, free_port, seeded_database, served, uvicorn_command
from bench.open_loop import fixed_rate, post_bytes
from service.catalog.assumption_seed import assumption_document
from service.catalog.default.document import PriceDoc, decode, packaged_bytes
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
LOAD_SHARES = (0.25, 0.5, 0.75)
# BENCH_SPLIT=1 (served): the machine split in two, as a server and its clients would be: the servers on core 0, the
# load generators on core 1, so that the tail under load is the server's own and not the client's turn on the core.
SPLIT = os.environ.get("BENCH_SPLIT") == "1"
SERVER_CORE = ["taskset", "-c", "0"] if SPLIT else []
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "1000,3000,10000").split(",")]


def default_sharing() -> list[int]:
    """How many offerings of the default catalog (the one `make run` serves) share each distinct price: what a
    project session's cost depends on (input, output and cache-read rates, and rules), of the price each offering
    has last. In an order shuffled once (a fixed seed), so that any first part of it shares about as the whole
    does."""
    catalog = decode(packaged_bytes())
    groups = Counter(_price_text(offering.prices[-1]) for offering in catalog.offerings if offering.prices)
    sizes = list(groups.values())
    random.Random(19).shuffle(sizes)
    return sizes


def _price_text(price: PriceDoc) -> str:
    return json.dumps([price.input_per_mtok, price.output_per_mtok, price.cache_read_per_mtok, price.rules],
                      sort_keys=True)


def synthetic_snapshot(count: int, sharing: list[int] | None = None) -> CatalogSnapshot:
    """`count` offerings whose prices are shared as the default catalog's are (`sharing`: offerings per distinct
    price, cycled; None: every price differs, as the earlier rounds measured): the maker's own offering, then
    resellers under other providers at the same price. A context tier on every third distinct price, flat rates
    otherwise; the prices differ from one distinct price to the next."""
    models, timelines = {}, {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sizes = cycle(sharing or [1])
    number = kind = 0
    while number < count:
        prices = TokenPrices(Decimal(kind % 97 + 1) / 10, Decimal(kind % 89 + 2) / 5 + Decimal(kind // 97) / 1000,
                             Decimal("0.01"))
        tiers = (ContextTier(100_000, TokenPrices(prices.input_per_mtok * 2, prices.output_per_mtok * 2)),)
        rules = PriceRules(tiers=tiers) if kind % 3 == 0 else PriceRules()
        for _ in range(min(next(sizes), count - number)):
            model = f"bench-{number:05d}" if number % 4 else f"p{number % 50}/bench-{number:05d}"
            models[model] = ModelInfo(model, model.partition("/")[0] if "/" in model else "bench", model, None)
            timelines[model] = ModelTimeline([PricePeriod(number + 1, start, None, prices, rules)], [])
            number += 1
        kind += 1
    return CatalogSnapshot(models=models, timelines=timelines, loaded_at=datetime.now(UTC))


def distinct_prices(snapshot: CatalogSnapshot) -> int:
    """Distinct prices at AT as the estimate tells them apart (service.pricing.project.price_key)."""
    from service.pricing.project import price_key  # here: the code of an earlier commit, measured beside, lacks it

    return len({price_key(found) for timeline in snapshot.timelines.values()
                if (found := timeline.price_at(AT)) is not None})


def seed_assumptions():  # type: ignore[no-untyped-def]
    doc = assumption_document()
    rows = [AssumptionRow(id=number, kind=item["figures"]["kind"], key=item["key"], version=1,
                          figures=item["figures"], assumed=item["assumed"], source=item["source"],
                          valid_from=AT, valid_to=None) for number, item in enumerate(doc["assumptions"], start=1)]
    return assumption_set(rows)


def in_process(count: int, tooling: str, runs: int = 15, breakdown: bool = True,
               shared: bool = True) -> tuple[float, float, int, str]:
    """Median wall and CPU milliseconds of one estimate, the body's bytes and their SHA-256."""
    snapshot, assumptions = synthetic_snapshot(count, default_sharing() if shared else None), seed_assumptions()
    # As a served process does at start (settle_memory in service/http/app.py): the snapshot frozen out of the
    # collector's sight, and main() raised the young generation's threshold the same way.
    gc.collect()
    gc.freeze()
    request = msgspec.convert({"project": {"size": "medium", "features": 40, "tooling": tooling},
                               "all_models": True, "breakdown": breakdown, "strategies": [
                                   {"kind": "hybrid", "draft": "bench-00001", "review": "bench-00002"}]},
                              wire.ProjectEstimateRequest)
    times, cpu, body = [], [], b""
    for _ in range(runs + 2):
        started, started_cpu = time.perf_counter(), time.process_time()
        body = msgspec.json.encode(estimate_project(snapshot, assumptions, request, AT).body)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    # CPU time too: on a shared machine the wall time also counts the other processes' turns.
    return statistics.median(times[2:]), statistics.median(cpu[2:]), len(body), hashlib.sha256(body).hexdigest()


def _measure_in(tree: Path, count: int, tooling: str, breakdown: bool, shared: bool) -> dict:
    """in_process() in a fresh process running the service code of `tree` (with this checkout's bench)."""
    out = subprocess.run([sys.executable, "-P", "-m", "bench.project_estimate", "--one", str(count), tooling,
                          str(int(breakdown)), str(int(shared))], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def side_by_side(before: str, shared: bool) -> None:
    """Every size and tooling measured on `before`'s code and on this checkout's, taking turns, each in a fresh
    process; and whether the two answered the same bytes."""
    with checkout(before, "service") as old:
        for count in SIZES:
            for tooling in ("chat", "autonomous-agent"):
                for breakdown in (False, True):
                    then = _measure_in(old, count, tooling, breakdown, shared)
                    now = _measure_in(ROOT, count, tooling, breakdown, shared)
                    same = "same bytes" if then["sha256"] == now["sha256"] else "BYTES DIFFER"
                    print(f"  {count:6d} offerings, {tooling:17s}, breakdown {str(breakdown).lower():5s}: CPU "
                          f"{then['cpu']:6.1f} -> {now['cpu']:6.1f} ms, wall {then['wall']:6.1f} -> {now['wall']:6.1f} "
                          f"ms, body {now['size'] / 1e6:.1f} MB, {same}", flush=True)


def served_under_load(duration: str = "10s", before: str | None = None) -> None:
    """Ours (six models + the hybrid) and the bare endpoint, one uvicorn worker each: first each one's capacity under
    wrk -c32 (a closed loop: its p99 is mostly the queue of 32), then open-loop fixed rates at 25, 50 and 75 % of our
    capacity, the same rates for all, taking turns. With `before`, that commit's code is served too, beside ours."""
    seconds = float(duration.rstrip("s"))
    body = msgspec.json.encode({"project": {"size": "medium", "features": 40, "tooling": "ide-assistant"},
                                "models": SIX, "at": "2026-05-10", "strategies": [HYBRID]})
    bare_body = msgspec.json.encode({"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000})
    with seeded_database() as url, contextlib.ExitStack() as stack:
        ours, bare = free_port(), free_port()
        env = app_env(url)
        targets = {"ours": (ours, "/v1/estimate/project", body), "bare": (bare, "/v1/estimate", bare_body)}
        if before:
            old, then = stack.enter_context(checkout(before, "service", "alembic", "alembic.ini")), free_port()
            stack.enter_context(served(SERVER_CORE + uvicorn_command(then), then, {**env, "PYTHONPATH": str(old)},
                                       cwd=old))
            targets = {f"ours@{before}": (then, "/v1/estimate/project", body), **targets}
        stack.enter_context(served(SERVER_CORE + uvicorn_command(ours), ours, env))
        stack.enter_context(served(SERVER_CORE + uvicorn_command(bare, "bench.bare_app:app", factory=False), bare, env))
        if SPLIT:
            os.sched_setaffinity(0, {1})  # the load generators (wrk and the open loop run from here) on the other
        if before:
            answers = {name: httpx.post(f"http://127.0.0.1:{port}{path}", content=payload,
                                        headers={"content-type": "application/json"}).content
                       for name, (port, path, payload) in targets.items() if path == "/v1/estimate/project"}
            print(f"  the two codes' answers: {'same bytes' if len(set(answers.values())) == 1 else 'BYTES DIFFER'}")
        capacity = {}
        for name, (port, path, payload) in targets.items():
            rps, p99 = _wrk(port, path, payload, 32, duration)
            _, p99_single = _wrk(port, path, payload, 1, "5s")
            capacity[name] = rps
            print(f"  {name}: wrk -c32 {rps:6.0f} req/s, p99 {p99:6.2f} ms; wrk -c1 p99 {p99_single:5.2f} ms",
                  flush=True)
        for share in LOAD_SHARES:
            rate = round(capacity["ours"] * share)
            for name, (port, path, payload) in targets.items():
                found = fixed_rate(port, post_bytes(path, payload, port), rate, seconds)
                print(f"  {name}: {rate:5d} req/s fixed ({share:.0%} of ours, {rate / capacity[name]:.0%} of its "
                      f"own): p50 {found.p50_ms:5.2f} ms, p99 {found.p99_ms:6.2f} ms from due; p50 "
                      f"{found.p50_sent_ms:5.2f}, p99 {found.p99_sent_ms:6.2f} ms from sent; achieved "
                      f"{found.achieved:6.0f}/s, send lag p99 {found.p99_lag_ms:4.2f} ms, "
                      f"client CPU {found.client_cpu:.0%}, {found.connections} connections, {found.errors} errors",
                      flush=True)


def served_every_offering(before: str | None = None, requests: int = 30) -> None:
    """An `all_models` project (the autonomous agent with the breakdown, priced now) over the default catalog that
    `make run` serves, end to end from an httpx client, one request at a time: in the batch process
    (BATCH_PROCESSES=1, as served) and on the batch thread (0), and with `before` that commit's code, taking turns."""
    body = msgspec.json.encode({"project": {"size": "medium", "features": 40, "tooling": "autonomous-agent"},
                                "all_models": True, "strategies": [HYBRID]})
    with seeded_database("default") as url, contextlib.ExitStack() as stack:
        targets = {}
        runs = [("batch process", "1", ROOT), ("batch thread", "0", ROOT)]
        if before:
            runs.insert(0, (before, "1", stack.enter_context(checkout(before, "service", "alembic", "alembic.ini"))))
        for name, processes, code in runs:
            port = free_port()
            env = app_env(url, BATCH_PROCESSES=processes, PYTHONPATH=str(code))
            stack.enter_context(served(uvicorn_command(port), port, env, cwd=code))
            targets[name] = port
        time.sleep(3)  # the batch processes load their snapshots
        times: dict[str, list[float]] = {name: [] for name in targets}
        sizes: dict[str, tuple[int, int]] = {}
        for _ in range(requests + 3):
            for name, port in targets.items():
                started = time.perf_counter()
                response = httpx.post(f"http://127.0.0.1:{port}/v1/estimate/project", content=body,
                                      headers={"content-type": "application/json"}, timeout=60)
                times[name].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                sizes[name] = (len(response.content), len(response.json()["models"]))
        for name, found in times.items():
            found = found[3:]
            print(f"  {name}: median {statistics.median(found):.1f} ms, p90 {statistics.quantiles(found, n=10)[8]:.1f} "
                  f"ms, {sizes[name][1]} offerings, body {sizes[name][0] / 1e6:.1f} MB", flush=True)


def _wrk(port: int, path: str, body: bytes, connections: int, duration: str) -> tuple[float, float]:
    """Requests per second and p99 latency in ms."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body.decode())}\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    script.unlink()
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main(argv: list[str]) -> None:
    gc.set_threshold(10_000, 20, 20)  # as service/http/app.py's settle_memory
    if argv[:1] == ["--one"]:  # one measurement, for side_by_side
        count, tooling, breakdown, shared = int(argv[1]), argv[2], argv[3] == "1", argv[4] == "1"
        wall, cpu, size, digest = in_process(count, tooling, breakdown=breakdown, shared=shared)
        print(json.dumps({"wall": wall, "cpu": cpu, "size": size, "sha256": digest}))
        return
    shared = os.environ.get("BENCH_PRICES", "shared") == "shared"
    sharing = default_sharing()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"Default catalog: {sum(sharing)} offerings, {len(sharing)} distinct prices "
          f"({sum(1 for size in sharing if size == 1)} offerings priced alone, the most shared price by "
          f"{max(sharing)})")
    for count in SIZES:
        snapshot = synthetic_snapshot(count, sharing if shared else None)
        print(f"Synthetic catalog of {count} offerings: {distinct_prices(snapshot)} distinct prices")
    parts = os.environ.get("BENCH_PARTS", "in-process,served").split(",")
    before = argv[argv.index("--before") + 1] if "--before" in argv else None
    if "in-process" in parts:
        print("In process, every offering, medium project of 40 features, one hybrid (median of 15, body encoded):")
        if before:
            print(f"  ({before}'s code -> this checkout's, taking turns, each in a fresh process)")
            side_by_side(before, shared)
        else:
            for count in SIZES:
                for tooling in ("chat", "autonomous-agent"):
                    for breakdown in (False, True):
                        wall, cpu, size, _ = in_process(count, tooling, breakdown=breakdown, shared=shared)
                        print(f"  {count:6d} offerings, {tooling:17s}, breakdown {str(breakdown).lower():5s}: "
                              f"CPU {cpu:6.1f} ms, wall {wall:6.1f} ms, body {size / 1e6:.1f} MB", flush=True)
    if "served-all" in parts:
        print("Served, every offering of the default catalog, one request at a time, end to end:")
        served_every_offering(before)
    if "served" in parts:
        print("Served, six models + the hybrid, against the bare endpoint (bench/bare_app.py), one worker each:")
        served_under_load(os.environ.get("BENCH_DURATION", "10s"), before)


if __name__ == "__main__":
    main(sys.argv[1:])
