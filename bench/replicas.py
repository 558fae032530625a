"""Read replicas and PgBouncer, measured: throughput of the price feed and of /v1/models/{id}/price with 1 and 2
workers, on the primary alone and with one streaming replica; and the connections the PostgreSQL server holds for
2 workers x 50 concurrent clients, direct and through PgBouncer in transaction pooling.

Run: `.venv/bin/python -m bench.replicas` (needs wrk and Debian's pgbouncer). Prints figures; asserts nothing.
On 2 cores, the primary, the replica, the workers and wrk share them: see docs/deploy.md for what that shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from bench.harness import api_key, app_env, free_port, served
from service.cli.main import load_catalog
from service.db import migrations
from tests.pgbouncer import running_pgbouncer
from tests.replication import Standby, start_primary

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = 32


def wrk_get(url: str, headers: dict[str, str], connections: int = CONNECTIONS) -> tuple[float, float]:
    """Requests per second and p99 latency in ms of GETs of `url`."""
    args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{DURATION}", "--latency", *args, url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


@contextlib.contextmanager
def primary_and_replica() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as base:
        primary, port = start_primary(Path(base) / "primary")
        try:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
            migrations.upgrade(url)
            asyncio.run(load_catalog(url, "seed"))
            standby = Standby(Path(base) / "replica", port)
            standby.start()
            try:
                yield url, standby.url
            finally:
                standby.stop()
        finally:
            primary.stop()


def serve_command(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)]


def throughput(primary: str, replica: str, key: str) -> None:
    routes = {"price feed": ("/v1/feeds/prices", {"Authorization": f"Bearer {key}"}),
              "model price": ("/v1/models/deepseek-v4-flash/price?at=2026-04-30", {})}
    for workers in (1, 2):
        for label, extra in (("primary only", {}), ("one replica", {"DATABASE_REPLICA_URLS": replica})):
            port = free_port()
            env = app_env(primary, CATALOG="seed", **extra)
            with served(serve_command(port, workers), port, env):
                for route, (path, headers) in routes.items():
                    rps, p99 = wrk_get(f"http://127.0.0.1:{port}{path}", headers)
                    print(f"{workers} worker(s), {label:12s} {route:12s}: {rps:8.0f} req/s  p99 {p99:7.2f} ms")


async def _server_connections(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"))
    finally:
        await connection.close()


def peak_connections(dsn: str, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], asyncio.run(_server_connections(dsn)))
        time.sleep(0.2)


def connection_counts(primary: str) -> None:
    dsn = primary.replace("postgresql+asyncpg", "postgresql")
    path = "/v1/models/deepseek-v4-flash/prices"  # a query per request: the pool is really used
    with (tempfile.TemporaryDirectory() as pgbouncer_dir,
          running_pgbouncer(primary, Path(pgbouncer_dir), pool_mode="transaction", pool_size=10) as pooled):
        for label, extra in (("direct", {}), ("PgBouncer transaction pooling (pool 10)",
                                              {"DATABASE_URL": pooled, "DATABASE_LISTEN_URL": primary,
                                               "DATABASE_POOL_MODE": "transaction"})):
            port = free_port()
            env = {**app_env(primary, CATALOG="seed"), **extra}
            with served(serve_command(port, 2), port, env):
                stop, peak = threading.Event(), [0]
                sampler = threading.Thread(target=peak_connections, args=(dsn, stop, peak))
                sampler.start()
                rps, _ = wrk_get(f"http://127.0.0.1:{port}{path}", {}, connections=100)
                stop.set()
                sampler.join()
            print(f"2 workers x 50 clients, {label}: peak {peak[0]} server connections, {rps:.0f} req/s")


def main() -> None:
    with primary_and_replica() as (primary, replica):
        key = api_key(primary, "feeds:read")
        time.sleep(1)  # the key reaches the replica
        throughput(primary, replica, key)
        connection_counts(primary)


if __name__ == "__main__":
    main()
