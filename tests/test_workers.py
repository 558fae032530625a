"""Several processes serve one coherent catalog: a write through one is seen by another within a second."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.keys import create_key
from tests.factories import make_model, unique_slug

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(database_url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    # The seed, which is loaded into an empty catalog only: this database already has rows of other tests.
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "CATALOG": "seed"}
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers",
                                str(workers)], cwd=ROOT, env=env)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not become ready")


async def test_a_write_through_one_process_is_priced_by_another_within_a_second(
    committed_database_url, committed_engine
):
    model_id = unique_slug("workers")
    async with AsyncSession(committed_engine, expire_on_commit=False) as session, session.begin():
        await make_model(session, model_id)
        _, secret = await create_key(session, "workers", ["catalog:write"])
    ports = [_free_port(), _free_port()]
    servers = [_start(committed_database_url, ports[0]), _start(committed_database_url, ports[1], workers=2)]
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            written = await client.post(
                f"http://127.0.0.1:{ports[0]}/v1/models/{model_id}/prices",
                json={"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "1",
                      "source": "workers test"},
                headers={"Authorization": f"Bearer {secret}"})
            assert written.status_code == 201, written.text
            started = time.monotonic()
            seen_by: set[str] = set()
            while time.monotonic() - started < 1.0 and not seen_by:
                # The second server runs two workers: every one of them must have the new price.
                # A new connection each time, so that the kernel spreads them over both workers.
                answers = [await client.post(f"http://127.0.0.1:{ports[1]}/v1/estimate", json={
                    "model": model_id, "input_tokens": 1_000_000, "output_tokens": 0},
                    headers={"Connection": "close"}) for _ in range(8)]
                if all(a.status_code == 200 for a in answers):
                    seen_by.add("all")
            assert seen_by == {"all"}, "the other processes did not price the new period within a second"
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
