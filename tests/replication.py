"""A real primary and a real streaming replica for the replica tests: a fresh cluster made with initdb in a temp
dir, `pg_basebackup -R` of it, both started on free ports. Binaries: the embedded server's own (PostgreSQL 18,
which ships pg_basebackup), run as its unprivileged user when we are root, as service/db/embedded.py does."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import asyncpg

from service.db.embedded import (
    _ENV,
    BIN_DIR,
    SYSTEM_USER,
    EmbeddedPostgres,
    _as_server_user,
    _die_with_parent,
    _ensure_system_user,
    _free_port,
    _let_user_traverse,
    url_for_port,
)


class Standby:
    """A streaming replica of the server on `primary_port`, in `data_dir/pg`: started, stopped, started again."""

    def __init__(self, data_dir: Path, primary_port: int) -> None:
        self.data_dir, self.pgdata, self.port = data_dir, data_dir / "pg", _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        data_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            _ensure_system_user()
            _let_user_traverse(data_dir)
            os.chown(data_dir, *_ids())
        # -R writes standby.signal and primary_conninfo; -X stream copies the WAL the backup needs alongside it.
        subprocess.run([str(BIN_DIR / "pg_basebackup"), "-D", str(self.pgdata), "-R", "-X", "stream",
                        "--checkpoint=fast", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"],
                       check=True, capture_output=True, env=_ENV, **_as_server_user())

    @property
    def url(self) -> str:
        return url_for_port(self.port)

    def start(self) -> None:
        log = open(self.data_dir / "postgres.log", "ab")  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(
            [str(BIN_DIR / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(self.port),
             "-k", str(self.pgdata)],
            stdout=log, stderr=log, env=_ENV, preexec_fn=_die_with_parent, **_as_server_user())
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # a standby's pid file says "standby", never "ready": ask it instead
            if self.process.poll() is not None:
                raise RuntimeError(f"the standby exited: {(self.data_dir / 'postgres.log').read_text()[-2000:]}")
            if subprocess.run([str(BIN_DIR / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                              env=_ENV).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("the standby did not accept connections within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=20)
        self.process = None


def _ids() -> tuple[int, int]:
    import pwd

    user = pwd.getpwnam(SYSTEM_USER)
    return user.pw_uid, user.pw_gid


def start_primary(data_dir: Path) -> tuple[EmbeddedPostgres, int]:
    primary = EmbeddedPostgres(data_dir)
    return primary, primary.start()


async def replica_sql(url: str, statement: str) -> object:
    """One statement on the replica as the superuser (pause or resume its replay)."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()
