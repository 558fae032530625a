"""Import time for bench.scale's generated catalog as a LiteLLM file, into an empty migrated database, then again
unchanged (the figure behind bench.scale's import row, without the rest of that run).

Run: `python -m bench.import_catalog [--models 10000] [--rounds 3]`. Prints figures; asserts nothing. To compare two
versions side by side, run it from each checkout in turn under the same load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.scale_catalog import litellm_file
from service.db import migrations
from service.db.embedded import embedded_database


def import_once(url: str, file: Path) -> tuple[float, str]:
    """Seconds of wall time for `pricing-api catalog import`, and its last line (which has the time inside)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "service.cli", "catalog", "import", str(file), "--format", "litellm"],
                         capture_output=True, text=True, check=True, env={**os.environ, "DATABASE_URL": url}).stdout
    return time.perf_counter() - started, out.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="fresh databases, each imported twice")
    args = parser.parse_args()
    first: list[float] = []
    again: list[float] = []
    with tempfile.TemporaryDirectory() as work_dir:
        file = Path(work_dir) / "litellm_scale.json"
        litellm_file(file, args.models)
        for number in range(args.rounds):
            with embedded_database(Path(work_dir) / f"pg{number}") as url:
                migrations.upgrade(url)
                for label, times in (("first", first), ("unchanged", again)):
                    seconds, last = import_once(url, file)
                    times.append(seconds)
                    print(f"round {number + 1} {label:9} {seconds:6.2f} s wall: {last}", flush=True)
    print(f"{args.models:,} models, median of {args.rounds}: first {statistics.median(first):.2f} s, "
          f"unchanged {statistics.median(again):.2f} s (wall, including the CLI's start)")


if __name__ == "__main__":
    main()
