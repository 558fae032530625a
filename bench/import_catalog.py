"""Import time for a generated LiteLLM-format file of 5,000 models, then a re-import of the same file.

Run: `python -m bench.import_catalog`. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import seeded_database

COUNT = int(os.environ.get("IMPORT_MODELS", "5000"))


def generated_file(path: Path) -> None:
    entries = {
        f"bench/model-{n}": {"input_cost_per_token": (n % 97 + 1) * 1e-7, "output_cost_per_token": (n % 89 + 1) * 4e-7,
                             "cache_read_input_token_cost": (n % 13 + 1) * 1e-8, "max_input_tokens": 128000,
                             "litellm_provider": f"provider-{n % 40}", "mode": "chat"}
        for n in range(COUNT)
    }
    path.write_text(json.dumps(entries))


def main() -> None:
    with seeded_database() as url, tempfile.TemporaryDirectory() as work_dir:
        file = Path(work_dir) / "litellm_5000.json"
        generated_file(file)
        env = {**os.environ, "DATABASE_URL": url}
        for label in ("first import", "re-import"):
            started = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "service.cli", "catalog", "import", str(file), "--format",
                                  "litellm"], capture_output=True, text=True, env=env, check=True).stdout
            seconds = time.perf_counter() - started
            print(f"{label:13} {seconds:6.2f} s  ({file.stat().st_size:,} bytes): {out.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
