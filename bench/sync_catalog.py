"""`catalog sync` of the real LiteLLM map and genai-prices data from a local server: the first run, a 304, a
changed price, and a server without validators sending the same file again.

Run: `python -m bench.sync_catalog` (needs the dev extras: the files come from the litellm and genai-prices
packages). Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench.harness import seeded_database
from tests.catalog.upstream import UpstreamServer, genai_prices_file, litellm_file


def main() -> None:
    files = {"/litellm.json": ("litellm", litellm_file()), "/genai.json": ("genai-prices", genai_prices_file())}
    with seeded_database() as url, UpstreamServer() as server:
        server.upstream.files = {path: body for path, (_, body) in files.items()}
        env = {**os.environ, "DATABASE_URL": url}
        for path, (fmt, body) in files.items():
            def run(label: str, path: str = path, fmt: str = fmt) -> None:
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "service.cli", "catalog", "sync", server.url(path),
                                       "--format", fmt], capture_output=True, text=True, env=env)
                last = done.stdout.strip().splitlines()[-1:] or done.stderr.strip().splitlines()[-1:]
                print(f"{fmt:13} {label:28} {time.perf_counter() - started:6.2f} s  {last[0] if last else ''}")

            run("first sync")
            run("again (304)")
            data = json.loads(body)
            if fmt == "litellm":
                key = next(k for k, v in data.items() if isinstance(v, dict) and v.get("input_cost_per_token"))
                data[key]["input_cost_per_token"] *= 2
            else:
                data[0]["models"][0]["prices"]["output_mtok"] = 123
            server.upstream.files[path] = json.dumps(data).encode()
            run("one price changed")
            server.upstream.validators = False
            run("same file, no validators")
            server.upstream.validators = True
    print("(each figure includes the command's own start: Python, imports, the migration check)")


if __name__ == "__main__":
    main()
