"""Debian's PgBouncer run by the tests as a child process of their own (never the system service): a generated
ini in a temp dir, a free port, in front of a test server. tests/services.sh installs it when missing."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

MISSING = "pgbouncer is not installed: run tests/services.sh (as root it runs apt-get install pgbouncer)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_pgbouncer(server_url: str, directory: Path, *, pool_mode: str, pool_size: int = 20) -> Iterator[str]:
    """PgBouncer in `pool_mode` in front of the server of `server_url`; yields `server_url` pointed at it."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        raise RuntimeError(MISSING)
    server, port = make_url(server_url), free_port()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "users.txt").write_text(f'"{server.username}" ""\n')
    ini = directory / "pgbouncer.ini"
    ini.write_text("\n".join([
        "[databases]",
        f"* = host={server.host} port={server.port}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1", f"listen_port = {port}", "unix_socket_dir =",
        # The test servers trust local connections; PgBouncer then only needs the user's name.
        "auth_type = trust", f"auth_file = {directory / 'users.txt'}",
        f"pool_mode = {pool_mode}", f"default_pool_size = {pool_size}", "max_client_conn = 1000",
        # PgBouncer refuses to run as root; started as root it drops to this user after reading its files.
        *(["user = nobody"] if os.geteuid() == 0 else []),
        "",
    ]))
    for path in (ini, directory / "users.txt"):
        path.chmod(0o644)
    for parent in [directory, *directory.parents]:  # the user it drops to must reach its files (pytest's are 0700)
        parent.chmod(parent.stat().st_mode | 0o001)
    log = open(directory / "pgbouncer.log", "ab")  # noqa: SIM115 - the child keeps it open
    process = subprocess.Popen([binary, str(ini)], stdout=log, stderr=log)
    log.close()
    try:
        _wait_for_port(port, process, directory)
        yield server.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], directory: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {(directory / 'pgbouncer.log').read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError("pgbouncer did not listen within 10 s")
