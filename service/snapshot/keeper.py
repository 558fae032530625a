"""Keeps this process's catalog snapshot current: LISTEN catalog_changed, reload after every commit.

Hand-written on a raw asyncpg connection because SQLAlchemy's pool has no notion of a long-lived LISTEN
session. When that connection drops, notifications may have been missed, so it reconnects and reloads.
A slow periodic reload backs this up in case a notification is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from litestar import Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.snapshot.catalog_snapshot import CatalogSnapshot, load_snapshot

log = logging.getLogger("service.snapshot")
CHANNEL = "catalog_changed"


class SnapshotKeeper:
    def __init__(self, database_url: str, sessionmaker: async_sessionmaker[AsyncSession],
                 fallback_reload_seconds: float = 60.0) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._sessionmaker = sessionmaker
        self._fallback = fallback_reload_seconds
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.current: CatalogSnapshot | None = None
        # False while the database is unreachable: the snapshot is then the last one loaded, perhaps stale.
        self.connected = True

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._run(), name="snapshot-keeper")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def reload(self) -> None:
        async with self._sessionmaker() as session:
            # One snapshot of the database for all three tables: a commit landing between them cannot tear it.
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            self.current = await load_snapshot(session)
            await session.rollback()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: retry, and keep serving the last snapshot
                if self.connected:
                    log.warning("snapshot listener lost its connection (%r); retrying every 0.5 s", exc)
                self.connected = False
                await asyncio.sleep(0.5)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        try:
            await connection.add_listener(CHANNEL, lambda *_: self._changed.set())
            connection.add_termination_listener(lambda *_: self._changed.set())
            await self.reload()  # whatever changed while we were not listening
            if not self.connected:
                log.warning("snapshot listener reconnected; snapshot reloaded")
            self.connected = True
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=self._fallback)
                # Clear before reading: a commit landing during the reload sets it again, and we reload again.
                self._changed.clear()
                if connection.is_closed():
                    self.connected = False
                    raise ConnectionError("listener connection closed")
                await self.reload()
        finally:
            with contextlib.suppress(Exception):
                await connection.close()


def current_snapshot(request: Request[Any, Any, Any]) -> CatalogSnapshot:
    """This process's snapshot, for a route that prices from it; while the database is unreachable the
    response is marked stale (service.http.observability.state_headers adds the header)."""
    keeper: SnapshotKeeper = request.app.state.snapshot_keeper
    if not keeper.connected:
        request.scope["state"]["stale_snapshot"] = keeper.current
    return keeper.current  # type: ignore[return-value]
