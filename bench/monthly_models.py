"""A month priced on 100 models in one request (`POST /v1/estimate/monthly/models`), as bench.scale's monthly row
asks it, taken apart: pricing in one process, encoding the answer, and the whole request over HTTP.

Run: `python -m bench.monthly_models [--models 10000] [--requests 20]`. Prints figures; asserts nothing. To compare
two versions side by side, run it from each checkout in turn under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

import httpx
import msgspec

from bench.harness import app_env, free_port, seeded_database, served, uvicorn_command
from bench.scale_catalog import load_catalog, model_id
from bench.scale_measure import MONTHLY_USAGE
from service.db.engine import make_engine, make_sessionmaker
from service.estimates import schemas
from service.estimates.monthly_models import monthly_for_models
from service.snapshot.catalog_snapshot import CatalogSnapshot, load_snapshot


def median_ms(action: Callable[[], object], count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def snapshot_of(url: str) -> CatalogSnapshot:
    engine = make_engine(url, pool_size=1)
    async with make_sessionmaker(engine)() as session:
        snapshot = await load_snapshot(session)
    await engine.dispose()
    return snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000, help="generated models in the catalog")
    parser.add_argument("--requests", type=int, default=20, help="timed repetitions of each figure")
    args = parser.parse_args()
    models = [model_id(n) for n in range(0, args.models, max(1, args.models // 100))][:100]
    body = {**MONTHLY_USAGE, "models": models}
    with seeded_database() as url:
        asyncio.run(load_catalog(url, args.models))
        snapshot = asyncio.run(snapshot_of(url))
        request = msgspec.convert(body, schemas.MonthlyModelsRequest)
        result = monthly_for_models(snapshot, request).body
        first = median_ms(lambda: monthly_for_models(snapshot, request), 1)
        priced = median_ms(lambda: monthly_for_models(snapshot, request), args.requests)
        encoded = median_ms(lambda: msgspec.json.encode(result), args.requests)
        periods = sum(len(item.result.periods) for item in result.data if item.result is not None)
        port = free_port()
        with served(uvicorn_command(port), port, app_env(url)), \
                httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            sizes = {}
            figures = {}
            for encoding in ("identity", "gzip"):
                def ask(encoding: str = encoding) -> None:
                    response = client.post("/v1/estimate/monthly/models", json=body,
                                           headers={"Accept-Encoding": encoding})
                    response.raise_for_status()
                    sizes[encoding] = int(response.headers.get("content-length") or len(response.content))
                median_ms(ask, 2)
                figures[encoding] = median_ms(ask, args.requests)
    print(f"{args.models:,} models in the catalog; 100 priced for {MONTHLY_USAGE['month']}: {periods:,} periods in "
          f"the answer; medians of {args.requests}, ms")
    print(f"  in one process: first {first:.1f}, then {priced:.1f}; encoding the answer {encoded:.1f}")
    for encoding, figure in figures.items():
        print(f"  over HTTP, Accept-Encoding {encoding}: {figure:.1f} ({sizes[encoding]:,} bytes)")


if __name__ == "__main__":
    main()
