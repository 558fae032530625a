"""Soak: 60 s at 64 connections against estimates and the price feed, on one uvicorn worker.

Run: `.venv/bin/python bench/soak.py` (needs wrk). Prints p50, p99, errors and the server's RSS before and
after; asserts nothing. SOAK_DURATION overrides the 60 s.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from service.auth.keys import create_key
from service.cli import load_seed
from service.db import migrations
from service.db.embedded import embedded_database
from service.db.engine import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parents[1]
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


async def feeds_key(url: str) -> str:
    engine = make_engine(url, pool_size=1)
    async with make_sessionmaker(engine)() as session, session.begin():
        _, secret = await create_key(session, "soak", ["feeds:read"])
    await engine.dispose()
    return secret


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, embedded_database(Path(data_dir)) as url:
        migrations.upgrade(url)
        asyncio.run(load_seed(url))
        secret = asyncio.run(feeds_key(url))
        unlimited = "100000000/minute"
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "RATE_LIMIT_PUBLIC": unlimited,
               "RATE_LIMIT_FEEDS": unlimited}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "service.app:create_app_from_env", "--factory", "--port", str(PORT),
             "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env)
        try:
            for _ in range(200):
                try:
                    httpx.get(f"http://127.0.0.1:{PORT}/health/ready", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            script = Path(tempfile.mkstemp(suffix=".lua")[1])
            script.write_text(SCRIPT % secret)
            warm = subprocess.run(["wrk", "-t1", "-c8", "-d3s", "-s", str(script), f"http://127.0.0.1:{PORT}"],
                                  capture_output=True, text=True)
            before = rss_mb(server.pid)
            out = subprocess.run(["wrk", "-t2", "-c64", f"-d{DURATION}", "--latency", "-s", str(script),
                                  f"http://127.0.0.1:{PORT}"], capture_output=True, text=True, check=True).stdout
            after = rss_mb(server.pid)
            script.unlink()
        finally:
            server.terminate()
            server.wait()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    print(out)
    print(f"warm-up: {'ok' if warm.returncode == 0 else warm.stderr}")
    socket = socket_errors.group(1) if socket_errors else "none"
    print(f"errors: {errors.group(1) if errors else 0} non-2xx/3xx; socket: {socket}")
    print(f"server RSS: {before:.1f} MB before, {after:.1f} MB after ({after - before:+.1f} MB)")


if __name__ == "__main__":
    main()
