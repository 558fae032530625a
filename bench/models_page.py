"""`GET /v1/models` under `wrk -t1 -c8` on one worker, as bench.scale's row asks it: the first page, unfiltered
and one provider's, on a generated catalog.

Run: `python -m bench.models_page [--models 10000] [--rounds 3]` (needs wrk). Prints figures; asserts nothing. To
compare two versions side by side, run it from each checkout in turn under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

import httpx

from bench.harness import app_env, free_port, seeded_database, served, uvicorn_command
from bench.scale_catalog import load_catalog, provider_id
from bench.scale_measure import wrk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths = {"first page": "/v1/models", "a provider's first page": f"/v1/models?provider={provider_id(7)}"}
    figures: dict[str, list[tuple[float, float]]] = {label: [] for label in paths}
    with seeded_database() as url:
        asyncio.run(load_catalog(url, args.models))
        port = free_port()
        with served(uvicorn_command(port), port, app_env(url)):
            base = f"http://127.0.0.1:{port}"
            for path in paths.values():
                httpx.get(base + path).raise_for_status()
            for _ in range(args.rounds):
                for label, path in paths.items():
                    figures[label].append(wrk(base + path, 8, "4s"))
    print(f"{args.models:,} models; wrk -t1 -c8 -d4s, median of {args.rounds} rounds (range):")
    for label, runs in figures.items():
        p99s, rates = [p99 for _, p99 in runs], [rate for rate, _ in runs]
        print(f"  {label}: p99 {statistics.median(p99s):.2f} ms ({min(p99s):.2f}-{max(p99s):.2f}), "
              f"{statistics.median(rates):,.0f} req/s")


if __name__ == "__main__":
    main()
