"""POST /v1/estimate throughput with 1 and with 2 uvicorn workers (`pricing-api serve --workers N`).

Run: `.venv/bin/python -m bench.workers_throughput` (needs wrk). Prints figures; asserts nothing. On a 2-core
machine wrk itself takes a core, so read the 2-worker figure with that in mind.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.estimate_throughput import wrk
from service.cli import load_seed
from service.db import migrations
from service.db.embedded import embedded_database

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, embedded_database(Path(data_dir)) as url:
        migrations.upgrade(url)
        asyncio.run(load_seed(url))
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "RATE_LIMIT_PUBLIC": "100000000/minute"}
        for workers, port in ((1, 8111), (2, 8112)):
            server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port),
                                       "--workers", str(workers)], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
            try:
                for _ in range(300):
                    try:
                        httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).raise_for_status()
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                rps, p99 = wrk(port)
                print(f"{workers} worker(s): {rps:8.0f} req/s  p99 {p99:6.2f} ms")
            finally:
                server.terminate()
                server.wait()


if __name__ == "__main__":
    main()
