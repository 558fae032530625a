"""Issue 15, item 3: can a flood of anonymous batch requests starve another client's estimates?

One uvicorn worker on an embedded, seeded PostgreSQL. A victim posts single estimates one after another, first alone,
then while FLOOD_CLIENTS other clients post full batches (BATCH_ITEMS items, the default ESTIMATE_MAX_BATCH_ITEMS)
as fast as they are answered. Rate limits are off (as from many addresses: the worst case for the victim). Prints
the victim's p99 alone and under the flood, and their ratio (the goal is at most 2x); asserts nothing.

`python -m bench.anonymous_flood` (BENCH_SECONDS=10, FLOOD_CLIENTS=4, BATCH_ITEMS=10000 by default)
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import time
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType

import httpx

from bench.harness import app_env, free_port, seeded_database, served, uvicorn_command

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
FLOOD_CLIENTS = int(os.environ.get("FLOOD_CLIENTS", "4"))
BATCH_ITEMS = int(os.environ.get("BATCH_ITEMS", "10000"))
ESTIMATE = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "at": "2026-05-10"}


def victim(port: int, seconds: float) -> tuple[list[float], int]:
    """Latencies (ms) of sequential estimates on one keep-alive connection, and how many were not 200."""
    times, failed = [], 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status = client.post("/v1/estimate", json=ESTIMATE).status_code
            times.append((time.perf_counter() - started) * 1000)
            failed += status != 200
    return times, failed


def flood(port: int, stop: EventType, answered: Synchronized) -> None:  # type: ignore[type-arg]
    """One flooding client, in a process of its own: in the victim's process its threads would hold the victim's
    interpreter lock, and the victim's figures would count that too."""
    body = json.dumps({"items": [ESTIMATE] * BATCH_ITEMS}).encode()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        while not stop.is_set():
            response = client.post("/v1/estimate/batch", content=body, headers={"content-type": "application/json"})
            if response.status_code == 200:
                with answered.get_lock():
                    answered.value += 1


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {FLOOD_CLIENTS} flooding clients, "
          f"{BATCH_ITEMS}-item batches, {SECONDS:.0f} s each")
    with seeded_database() as url:
        port = free_port()
        with served(uvicorn_command(port), port, app_env(url)):
            victim(port, 2)  # warm up
            alone, failed_alone = victim(port, SECONDS)
            stop, answered = multiprocessing.Event(), multiprocessing.Value("i", 0)
            flooders = [multiprocessing.Process(target=flood, args=(port, stop, answered))
                        for _ in range(FLOOD_CLIENTS)]
            for process in flooders:
                process.start()
            time.sleep(1)  # the flood is under way
            flooded, failed_flooded = victim(port, SECONDS)
            stop.set()
            for process in flooders:
                process.join()
    print(f"victim alone: {len(alone)} estimates, p99 {p99(alone):.2f} ms, median {statistics.median(alone):.2f} ms, "
          f"{failed_alone} not 200")
    print(f"victim under the flood: {len(flooded)} estimates, p99 {p99(flooded):.2f} ms, "
          f"median {statistics.median(flooded):.2f} ms, {failed_flooded} not 200; "
          f"{answered.value} batches answered 200")
    print(f"p99 under the flood / alone: {p99(flooded) / p99(alone):.1f}x (goal: at most 2x)")


if __name__ == "__main__":
    main()
