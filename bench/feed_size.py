"""Time and size of GET /v1/feeds/prices for the seed catalog and for 5,000 generated models, with and without
If-None-Match. Run: `.venv/bin/python bench/feed_size.py`. It prints figures; it asserts nothing."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from service.auth.keys import create_key
from service.cli import load_seed
from service.db import migrations
from service.db.embedded import embedded_database
from service.db.engine import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parents[1]
PORT = 8103


async def feeds_key(url: str) -> str:
    engine = make_engine(url, pool_size=1)
    async with make_sessionmaker(engine)() as session, session.begin():
        _, secret = await create_key(session, "bench", ["feeds:read"])
    await engine.dispose()
    return secret


async def add_models(url: str, count: int) -> None:
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    await connection.execute("INSERT INTO providers (id, name) VALUES ('bench', 'Bench') ON CONFLICT DO NOTHING")
    await connection.executemany(
        "INSERT INTO models (id, provider_id, name, context_window) VALUES ($1, 'bench', $1, 128000)",
        [(f"bench-model-{n}",) for n in range(count)])
    await connection.executemany(
        "INSERT INTO prices (model_id, valid_from, input_per_mtok, output_per_mtok, cache_read_per_mtok, source) "
        "VALUES ($1, '2026-01-01Z', $2, $3, $4, 'bench')",
        [(f"bench-model-{n}", n % 97 / 10 + 0.05, n % 89 / 2 + 0.1, n % 13 / 100) for n in range(count)])
    await connection.close()


def measure(headers: dict[str, str], label: str) -> None:
    url = f"http://127.0.0.1:{PORT}/v1/feeds/prices"
    with httpx.Client(timeout=30) as client:
        first = client.get(url, params={"at": "2026-05-10"}, headers=headers)
        etag = first.headers["etag"]
        for name, extra in (("full", {}), ("If-None-Match", {"If-None-Match": etag})):
            times = []
            for _ in range(30):
                started = time.perf_counter()
                response = client.get(url, params={"at": "2026-05-10"}, headers={**headers, **extra})
                times.append((time.perf_counter() - started) * 1000)
            print(f"  {label:12} {name:14} status {response.status_code}  {len(response.content):>9,} bytes  "
                  f"median {statistics.median(times):7.2f} ms  (30 requests)")


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, embedded_database(Path(data_dir)) as url:
        migrations.upgrade(url)
        asyncio.run(load_seed(url))
        headers = {"Authorization": f"Bearer {asyncio.run(feeds_key(url))}"}
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "RATE_LIMIT_FEEDS": "100000/minute"}
        for label, extra_models in (("seed", 0), ("5,000 more", 5000)):
            if extra_models:
                asyncio.run(add_models(url, extra_models))
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "service.app:create_app_from_env", "--factory", "--port",
                 str(PORT), "--log-level", "warning"], cwd=ROOT, env=env)
            try:
                for _ in range(200):
                    try:
                        httpx.get(f"http://127.0.0.1:{PORT}/health/ready", timeout=1).raise_for_status()
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                measure(headers, label)
            finally:
                server.terminate()
                server.wait()


if __name__ == "__main__":
    main()
