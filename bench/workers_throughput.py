"""POST /v1/estimate throughput with 1 and with 2 uvicorn workers (`pricing-api serve --workers N`).

Run: `.venv/bin/python -m bench.workers_throughput` (needs wrk). Prints figures; asserts nothing. On a 2-core
machine wrk itself takes a core, so read the 2-worker figure with that in mind.
"""

from __future__ import annotations

import sys

from bench.estimate_throughput import wrk
from bench.harness import app_env, seeded_database, served


def main() -> None:
    with seeded_database() as url:
        for workers, port in ((1, 8111), (2, 8112)):
            command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)]
            with served(command, port, app_env(url)):
                rps, p99 = wrk(port)
            print(f"{workers} worker(s): {rps:8.0f} req/s  p99 {p99:6.2f} ms")


if __name__ == "__main__":
    main()
