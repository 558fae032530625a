"""What the benchmarks and the CI fuzz run share: a seeded embedded database, API keys, and a served app."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from service.auth.keys import create_key
from service.cli.main import load_catalog
from service.db import migrations
from service.db.embedded import embedded_database
from service.db.engine import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = "100000000/minute"


@contextlib.contextmanager
def seeded_database(catalog: str = "seed") -> Iterator[str]:
    """A throwaway embedded PostgreSQL, migrated, with the seed catalog (the six seed models and the assumptions, as
    before), or with `catalog="default"` the default catalog that `make run` serves."""
    with tempfile.TemporaryDirectory() as data_dir, embedded_database(Path(data_dir)) as url:
        migrations.upgrade(url)
        asyncio.run(load_catalog(url, catalog))
        yield url


def api_key(url: str, *scopes: str) -> str:
    async def create() -> str:
        engine = make_engine(url, pool_size=1)
        async with make_sessionmaker(engine)() as session, session.begin():
            _, secret = await create_key(session, "bench", list(scopes))
        await engine.dispose()
        return secret

    return asyncio.run(create())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a served app: no rate limit gets in a benchmark's way unless it asks for one."""
    return {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "RATE_LIMIT_PUBLIC": UNLIMITED,
            "RATE_LIMIT_FEEDS": UNLIMITED, "RATE_LIMIT_WRITE": UNLIMITED, **extra}


def uvicorn_command(port: int, app: str = "service.http.app:create_app_from_env", factory: bool = True) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, *(["--factory"] if factory else []), "--port", str(port),
            "--workers", "1", "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]


@contextlib.contextmanager
def checkout(commit: str, *paths: str) -> Iterator[Path]:
    """`paths` as they are at `commit` (git archive), beside this checkout's bench, in a temporary folder: an older
    commit's code measured by today's benchmark."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "archive", commit, *paths], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        shutil.copytree(ROOT / "bench", Path(folder) / "bench", ignore=shutil.ignore_patterns("__pycache__"))
        yield Path(folder)


@contextlib.contextmanager
def served(command: list[str], port: int, env: dict[str, str], ready_path: str = "/health/ready",
           ready_timeout: float = 60, cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in `cwd` until the block ends, once `ready_path` answers 2xx on `port`."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{' '.join(command)} did not become ready") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait()
