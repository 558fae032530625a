"""Time and size of GET /v1/feeds/prices for the seed catalog and for 5,000 generated models, with and without
If-None-Match. Run: `python -m bench.feed_size`. It prints figures; it asserts nothing."""

from __future__ import annotations

import asyncio
import statistics
import time

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.harness import api_key, app_env, seeded_database, served, uvicorn_command

PORT = 8103


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
        etag = client.get(url, params={"at": "2026-05-10"}, headers=headers).headers["etag"]
        for name, extra in (("full", {}), ("If-None-Match", {"If-None-Match": etag})):
            times = []
            for _ in range(30):
                started = time.perf_counter()
                response = client.get(url, params={"at": "2026-05-10"}, headers={**headers, **extra})
                times.append((time.perf_counter() - started) * 1000)
            print(f"  {label:12} {name:14} status {response.status_code}  {len(response.content):>9,} bytes  "
                  f"median {statistics.median(times):7.2f} ms  (30 requests)")


def main() -> None:
    with seeded_database() as url:
        headers = {"Authorization": f"Bearer {api_key(url, 'feeds:read')}"}
        for label, extra_models in (("seed", 0), ("5,000 more", 5000)):
            if extra_models:
                asyncio.run(add_models(url, extra_models))
            with served(uvicorn_command(PORT), PORT, app_env(url)):
                measure(headers, label)


if __name__ == "__main__":
    main()
