"""Soak: 60 s at 64 connections against estimates and the price feed, on one uvicorn worker.

Run: `python -m bench.soak` (needs wrk). Prints p50, p99, errors and the server's RSS before and
after; asserts nothing. SOAK_DURATION overrides the 60 s.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.harness import api_key, app_env, seeded_database, served, uvicorn_command

PORT = 8104
DURATION = os.environ.get("SOAK_DURATION", "60s")
SCRIPT = """
local n = 0
request = function()
  n = n + 1
  if n %% 2 == 0 then
    return wrk.format("GET", "/v1/feeds/prices?at=2026-05-10", {["Authorization"] = "Bearer %s"})
  end
  return wrk.format("POST", "/v1/estimate", {["Content-Type"] = "application/json"},
    '{"model": "deepseek-v4-flash", "input_tokens": ' .. (1000 + n %% 50000) .. ', "output_tokens": 20000}')
end
"""


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def main() -> None:
    with seeded_database() as url:
        secret = api_key(url, "feeds:read")
        with served(uvicorn_command(PORT), PORT, app_env(url)) as server:
            script = Path(tempfile.mkstemp(suffix=".lua")[1])
            script.write_text(SCRIPT % secret)
            warm = subprocess.run(["wrk", "-t1", "-c8", "-d3s", "-s", str(script), f"http://127.0.0.1:{PORT}"],
                                  capture_output=True, text=True)
            before = rss_mb(server.pid)
            # RSS is sampled every 5 s while wrk runs: growth that flattens is warm-up, steady growth a leak.
            load = subprocess.Popen(["wrk", "-t2", "-c64", f"-d{DURATION}", "--latency", "-s", str(script),
                                     f"http://127.0.0.1:{PORT}"], stdout=subprocess.PIPE, text=True)
            samples = []
            while load.poll() is None:
                time.sleep(5)
                samples.append(rss_mb(server.pid))
            out = load.stdout.read() if load.stdout else ""
            after = rss_mb(server.pid)
            script.unlink()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    print(out)
    print(f"warm-up: {'ok' if warm.returncode == 0 else warm.stderr}")
    socket = socket_errors.group(1) if socket_errors else "none"
    print(f"errors: {errors.group(1) if errors else 0} non-2xx/3xx; socket: {socket}")
    print(f"server RSS: {before:.1f} MB before, {after:.1f} MB after ({after - before:+.1f} MB)")
    print("RSS every 5 s: " + " ".join(f"{mb:.1f}" for mb in samples))


if __name__ == "__main__":
    main()
