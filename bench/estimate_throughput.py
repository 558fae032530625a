"""POST /v1/estimate against a bare Litestar+msgspec endpoint, side by side in one run, plus 10,000-item batches.

Run: `python -m bench.estimate_throughput` (needs `wrk`: `apt-get install wrk`). It prints figures; it asserts
nothing.
Each server runs as one uvicorn worker (uvloop + httptools); wrk drives it with 32 connections, and the two
servers take turns so that machine noise hits both alike.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import app_env, seeded_database, served, uvicorn_command

BODY = {"model": "deepseek-v4-flash", "input_tokens": 50000, "output_tokens": 20000, "at": "2026-05-10T12:00:00Z"}
DURATION, CONNECTIONS, ROUNDS = os.environ.get("BENCH_DURATION", "10s"), 32, int(os.environ.get("BENCH_ROUNDS", "5"))


def wrk(port: int) -> tuple[float, float]:
    """Requests per second and p99 latency in ms."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(BODY))}\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    out = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}/v1/estimate"], capture_output=True, text=True, check=True).stdout
    script.unlink()
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    return rps, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


MODELS = ("deepseek-v4-flash", "deepseek-v4-pro", "gpt-5.5", "gpt-4.1", "claude-opus-4.7", "claude-sonnet-4.6")
# The article's session 10,000 times (sessions vary), and a mixed batch where no two items share a usage: six
# models, prompts from 1K to 200K tokens, a third with cache hits, and retry factors.
SAME_SHAPE = [{**BODY, "sessions": n % 50 + 1} for n in range(10_000)]
MIXED = [{"model": MODELS[n % 6], "input_tokens": 1_000 + n * 19, "output_tokens": 200 + n * 3,
          "cached_input_tokens": (n * 7) % 1_000 if n % 3 == 0 else 0, "sessions": n % 50 + 1,
          "retry_factor": "1.8" if n % 4 == 0 else "1", "at": BODY["at"]} for n in range(10_000)]


def batch_ms(port: int, items: list[dict], runs: int = 15, warm_up: int = 2) -> list[float]:
    """Wall times of a 10,000-item batch as the client sees them, response read; the first `warm_up` posts (the
    process growing its heap to a batch's size) are not counted."""
    payload = json.dumps({"items": items}).encode()
    with httpx.Client(timeout=30) as client:
        times = []
        for _ in range(warm_up + runs):
            started = time.perf_counter()
            response = client.post(f"http://127.0.0.1:{port}/v1/estimate/batch", content=payload,
                                   headers={"content-type": "application/json"})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and response.json()["failed"] == 0, response.text[:500]
    return times[warm_up:]


def spread(times: list[float]) -> str:
    ordered = sorted(times)
    return (f"median {statistics.median(ordered):4.0f} ms (min {ordered[0]:.0f}, max {ordered[-1]:.0f}, "
            f"{sum(t > 150 for t in ordered)} of {len(ordered)} over 150 ms)")


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")
    with seeded_database() as url:
        env = app_env(url)
        with served(uvicorn_command(8101), 8101, env), \
                served(uvicorn_command(8102, "bench.bare_app:app", factory=False), 8102, env):
            # The batch is timed before the load rounds as well as after: this VM slows down after a minute or two
            # of full load (the later rounds of both servers drop alike), which the batch alone would take.
            batch_before = {name: batch_ms(8101, items) for name, items in (("same", SAME_SHAPE), ("mixed", MIXED))}
            results: dict[str, list[tuple[float, float]]] = {"bare": [], "ours": []}
            for round_number in range(ROUNDS):
                results["bare"].append(wrk(8102))
                results["ours"].append(wrk(8101))
                print(f"  round {round_number + 1}: bare {results['bare'][-1][0]:7.0f} req/s, "
                      f"ours {results['ours'][-1][0]:7.0f} req/s", flush=True)
            batch_after = {name: batch_ms(8101, items) for name, items in (("same", SAME_SHAPE), ("mixed", MIXED))}
    medians = {name: (statistics.median(r for r, _ in runs), statistics.median(p for _, p in runs))
               for name, runs in results.items()}
    print(f"wrk -t1 -c{CONNECTIONS} -d{DURATION}, {ROUNDS} alternating rounds, medians:")
    for name, label in (("bare", "bare Litestar+msgspec"), ("ours", "POST /v1/estimate")):
        print(f"  {label:22}: {medians[name][0]:8.0f} req/s  p99 {medians[name][1]:6.2f} ms")
    print(f"  ratio                 : {medians['ours'][0] / medians['bare'][0]:.2f}")
    print("10,000-item batch, 15 posts each, timed by the client:")
    for name, label in (("same", "article session"), ("mixed", "mixed")):
        print(f"  {label:15} before the rounds: {spread(batch_before[name])}")
        print(f"  {label:15} after the rounds : {spread(batch_after[name])}")


if __name__ == "__main__":
    main()
