"""POST /v1/estimate against a bare Litestar+msgspec endpoint, side by side in one run, plus a 10,000-item batch.

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


def batch_ms(port: int, runs: int = 15) -> float:
    items = [{**BODY, "sessions": n % 50 + 1} for n in range(10_000)]
    payload = json.dumps({"items": items}).encode()
    with httpx.Client(timeout=30) as client:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post(f"http://127.0.0.1:{port}/v1/estimate/batch", content=payload,
                                   headers={"content-type": "application/json"})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and response.json()["failed"] == 0
    return statistics.median(times)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")
    with seeded_database() as url:
        env = app_env(url)
        with served(uvicorn_command(8101), 8101, env), \
                served(uvicorn_command(8102, "bench.bare_app:app", factory=False), 8102, env):
            # The batch is timed before the load rounds as well as after: this VM slows down after a minute or two
            # of full load (the later rounds of both servers drop alike), which the batch alone would take.
            batch_before = batch_ms(8101)
            results: dict[str, list[tuple[float, float]]] = {"bare": [], "ours": []}
            for round_number in range(ROUNDS):
                results["bare"].append(wrk(8102))
                results["ours"].append(wrk(8101))
                print(f"  round {round_number + 1}: bare {results['bare'][-1][0]:7.0f} req/s, "
                      f"ours {results['ours'][-1][0]:7.0f} req/s", flush=True)
            batch = batch_ms(8101)
    medians = {name: (statistics.median(r for r, _ in runs), statistics.median(p for _, p in runs))
               for name, runs in results.items()}
    print(f"wrk -t1 -c{CONNECTIONS} -d{DURATION}, {ROUNDS} alternating rounds, medians:")
    for name, label in (("bare", "bare Litestar+msgspec"), ("ours", "POST /v1/estimate")):
        print(f"  {label:22}: {medians[name][0]:8.0f} req/s  p99 {medians[name][1]:6.2f} ms")
    print(f"  ratio                 : {medians['ours'][0] / medians['bare'][0]:.2f}")
    print(f"  10,000-item batch     : {batch_before:.0f} ms before the rounds, {batch:.0f} ms after (medians of 15)")


if __name__ == "__main__":
    main()
