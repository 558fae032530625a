"""The embedded PostgreSQL: runs as root, is shared by serve and the CLI, and dies with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from service.db.embedded import EmbeddedPostgres, embedded_database, url_for_port

CLI = [sys.executable, "-m", "service.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "PRICING_DATA_DIR": str(data_dir)}


def _wait_until(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_second_user_of_the_data_dir_reaches_the_running_server_and_leaves_it_running(tmp_path):
    server = EmbeddedPostgres(tmp_path)
    port = server.start()
    try:
        with embedded_database(tmp_path) as url:
            assert url == url_for_port(port)
        assert server.running_port() == port
    finally:
        server.stop()
    assert server.running_port() is None


def test_the_embedded_server_stops_when_its_parent_is_killed(tmp_path):
    script = (
        "import sys, time; from pathlib import Path; from service.db.embedded import EmbeddedPostgres;"
        f"port = EmbeddedPostgres(Path({str(tmp_path)!r})).start(); print(port, flush=True); time.sleep(600)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        port = int(parent.stdout.readline())
        server = EmbeddedPostgres(tmp_path)
        assert server.running_port() == port
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _wait_until(lambda: server.running_port() is None), "postgres outlived its killed parent"
    finally:
        parent.kill()


def test_keys_create_works_with_and_without_serve_running_on_the_same_data_dir(tmp_path):
    alone = subprocess.run([*CLI, "keys", "create", "--name", "ci", "--scope", "catalog:write"],
                           capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.strip().startswith("pk_")
    assert EmbeddedPostgres(tmp_path).running_port() is None  # it started its own server and stopped it

    server = EmbeddedPostgres(tmp_path)
    server.start()
    try:
        shared = subprocess.run([*CLI, "keys", "list"], capture_output=True, text=True, env=_env(tmp_path),
                                timeout=120)
        assert shared.returncode == 0, shared.stderr
        assert "\tci\tcatalog:write\tactive" in shared.stdout
        assert server.running_port() is not None  # still serving after the CLI finished
    finally:
        server.stop()
