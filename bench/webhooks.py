"""Webhook delivery: throughput to a local receiver, the lag from commit to delivery, and what a burst of
deliveries costs the estimate throughput.

Run: `python -m bench.webhooks` (needs `wrk`). It prints figures; it asserts nothing.
- The receiver is a uvicorn process of its own answering 204; it records, per message, its arrival time less the
  change's `recorded_at` (set inside the writing transaction, so the lag includes the commit itself).
- Changes are committed one per transaction (a provider row each), straight into PostgreSQL.
- Estimates: wrk -c32 on POST /v1/estimate against one uvicorn worker, alone, then while 100 subscriptions
  receive a burst of 1,000 changes (100,000 deliveries, which outlast wrk's window), with the deliverers in the
  API's own process (the default) and in a process of their own (`pricing-api webhooks deliver`).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time

import asyncpg
import httpx

from bench.estimate_throughput import wrk
from bench.harness import ROOT, api_key, app_env, free_port, seeded_database, served, uvicorn_command

KEY = "bench-webhook-key"
HOOK_ENV = {"WEBHOOKS_ENCRYPTION_KEY": KEY, "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1", "WEBHOOKS_DELIVERERS": "4"}
BURST, WIDE = int(os.environ.get("BENCH_BURST", "2000")), int(os.environ.get("BENCH_WIDE", "100"))


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _commit_changes(url: str, prefix: str, count: int, spacing: float = 0.0) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        for n in range(count):
            await connection.execute("INSERT INTO providers (id, name) VALUES ($1, 'bench')", f"{prefix}-{n}")
            if spacing:
                await asyncio.sleep(spacing)
    finally:
        await connection.close()


def _subscribe(api: str, manager: str, target: str, count: int) -> None:
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {manager}"}, timeout=30) as client:
        for n in range(count):
            client.post("/v1/webhooks", json={"url": f"{target}/s{n}", "event_types": ["provider.created"]},
                        ).raise_for_status()


def _unsubscribe_all(api: str, manager: str) -> None:
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {manager}"}, timeout=30) as client:
        for hook in client.get("/v1/webhooks", params={"limit": 500}).json()["data"]:
            client.delete(f"/v1/webhooks/{hook['id']}").raise_for_status()


def _stats(receiver: str) -> dict:
    return httpx.get(f"{receiver}/stats", timeout=10).json()


def _wait_for(receiver: str, count: int, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while (stats := _stats(receiver))["count"] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {stats['count']} of {count} deliveries arrived")
        time.sleep(0.2)
    return stats


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def delivery_figures(url: str, receiver: str) -> None:
    api_port = free_port()
    env = app_env(url, **HOOK_ENV)
    with served(uvicorn_command(api_port), api_port, env):
        manager = api_key(url, "webhooks:manage")
        _subscribe(f"http://127.0.0.1:{api_port}", manager, receiver, 1)
        httpx.post(f"{receiver}/reset", timeout=10)
        asyncio.run(_commit_changes(url, "lag", 300, spacing=0.02))  # a steady trickle: the lag
        lags = _wait_for(receiver, 300)["lags_ms"]
        print(f"lag commit -> delivery, 300 changes 20 ms apart, 1 subscription: p50 {_pct(lags, 50):.1f} ms, "
              f"p99 {_pct(lags, 99):.1f} ms")
        httpx.post(f"{receiver}/reset", timeout=10)
        started = time.perf_counter()
        asyncio.run(_commit_changes(url, "burst", BURST))
        committed = time.perf_counter() - started
        stats = _wait_for(receiver, BURST)
        took = stats["last_at"] - stats["first_at"]
        print(f"throughput, one subscription, {BURST:,} changes committed in {committed:.1f} s: delivered in "
              f"{took:.1f} s after the first, {BURST / took:.0f} deliveries/s (one at a time, in order)")
        _subscribe(f"http://127.0.0.1:{api_port}", manager, receiver, 99)
        httpx.post(f"{receiver}/reset", timeout=10)
        asyncio.run(_commit_changes(url, "wide", WIDE))
        stats = _wait_for(receiver, WIDE * 100)
        took = stats["last_at"] - stats["first_at"]
        print(f"throughput, 100 subscriptions x {WIDE} changes, 4 deliverers in one process: {WIDE * 100 / took:.0f} "
              f"deliveries/s; lag p50 {_pct(stats['lags_ms'], 50):.0f} ms, p99 {_pct(stats['lags_ms'], 99):.0f} ms")


def estimate_figures(url: str, receiver: str, rounds: int) -> None:
    manager = api_key(url, "webhooks:manage")
    for where in ("in the API process", "in a process of their own"):
        api_port = free_port()
        inside = where == "in the API process"
        env = app_env(url, **{**HOOK_ENV, "WEBHOOKS_DELIVERERS": "4" if inside else "0"})
        with served(uvicorn_command(api_port), api_port, env):
            api = f"http://127.0.0.1:{api_port}"
            _unsubscribe_all(api, manager)
            _subscribe(api, manager, receiver, 100)
            deliverers = None if inside else subprocess.Popen(
                [sys.executable, "-m", "service.cli", "webhooks", "deliver"], cwd=ROOT,
                env=app_env(url, **HOOK_ENV), stderr=subprocess.DEVNULL)
            try:
                quiet, busy = [], []
                for round_ in range(rounds):
                    quiet.append(wrk(api_port)[0])
                    httpx.post(f"{receiver}/reset", timeout=10)
                    prefix = f"est{int(inside)}-{round_}"
                    burst = threading.Thread(target=lambda p=prefix: asyncio.run(_commit_changes(url, p, 1000)))
                    burst.start()
                    busy.append(wrk(api_port)[0])
                    burst.join()
                    # The 100,000 deliveries outlast the window (~130/s here): what counts is that the deliverers
                    # were busy all through it. The rest of the backlog is dropped with the subscriptions.
                    delivered = _stats(receiver)
                    took = delivered["last_at"] - delivered["first_at"]
                    print(f"  round {round_ + 1}: {quiet[-1]:.0f} req/s quiet, {busy[-1]:.0f} during the burst; "
                          f"{delivered['count']} deliveries in {took:.0f} s meanwhile")
                    _unsubscribe_all(api, manager)
                    _subscribe(api, manager, receiver, 100)
                q, b = statistics.median(quiet), statistics.median(busy)
                print(f"estimates with deliverers {where}: median {q:.0f} req/s quiet, {b:.0f} req/s during the "
                      f"burst ({(b - q) / q * 100:+.1f} %)")
            finally:
                if deliverers is not None:
                    deliverers.terminate()
                    deliverers.wait(30)


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    with seeded_database() as url:
        port = free_port()
        receiver_env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "uvicorn", "bench.webhook_receiver:app", "--port", str(port),
                   "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
        with served(command, port, receiver_env, ready_path="/stats"):
            receiver = f"http://127.0.0.1:{port}"
            delivery_figures(url, receiver)
            if os.environ.get("BENCH_ESTIMATES", "1") == "1":
                estimate_figures(url, receiver, rounds)


if __name__ == "__main__":
    main()
