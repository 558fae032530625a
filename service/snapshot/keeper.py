"""Keeps this process's catalog snapshot current: LISTEN catalog_changed, apply what changed after every commit.

After a commit, only the models named in the change log since the snapshot's `seq` are read again, and a new
snapshot is made from the old one and swapped in whole; so a write costs in proportion to what it changed, not
to the catalog. Changes missed while the listening connection was down are in the log too. A full reload happens
at start, and when the log does not go on from the snapshot (a database replaced or restored). A slow timer
checks that nothing was missed; when nothing was, that costs one indexed query.

Hand-written on a raw asyncpg connection because SQLAlchemy's pool has no notion of a long-lived LISTEN
session. It listens on the primary, over a direct connection (DATABASE_LISTEN_URL): a hot standby refuses
LISTEN, and PgBouncer's transaction pooling would lose it.

With read replicas, the changes are read from a replica, but only from one that has replayed the primary's WAL
position read after the notification (so past the notified commit): no snapshot is ever older than what this
process was told of. When none has within REPLICA_MAX_LAG, the primary is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
from litestar import Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.catalog.aliases import load_aliases
from service.catalog.price_queries import load_timelines
from service.db.faults import is_connection_failure
from service.db.replicas import ReplicaSet, parse_lsn
from service.snapshot.assumption_history import assumption_stamp, load_assumption_history
from service.snapshot.catalog_snapshot import CatalogSnapshot, load_snapshot
from service.snapshot.change_log import changes_after, latest_seq

log = logging.getLogger("service.snapshot")
CHANNEL = "catalog_changed"
# Beyond this many changes since the snapshot (a large import), reading the whole catalog again is cheaper.
MAX_CHANGES_APPLIED = 5000


class SnapshotKeeper:
    def __init__(self, database_url: str, sessionmaker: async_sessionmaker[AsyncSession],
                 fallback_reload_seconds: float = 60.0, replicas: ReplicaSet | None = None) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._sessionmaker = sessionmaker
        self._replicas = replicas
        self.replica_loads = 0  # refreshes read from a replica
        # With replicas: the primary's WAL position that the snapshot includes. Reads that may lag are served by a
        # replica past it (service.db.engine), so no list is older than the snapshot its ETag names.
        self.loaded_lsn: int | None = None
        self._fallback = fallback_reload_seconds
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.current: CatalogSnapshot | None = None
        self.full_reloads = 0  # how often the whole catalog was read: at start, and after a lost connection
        # False while the database is unreachable: the snapshot is then the last one loaded, perhaps stale.
        self.connected = True
        self._refreshing = False

    @property
    def caught_up(self) -> bool:
        """Connected, with no change notified and not yet applied: the snapshot holds every commit this process
        has been told of (a commit is told within milliseconds of it)."""
        return self.connected and not self._changed.is_set() and not self._refreshing

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._run(), name="snapshot-keeper")

    async def stop(self) -> None:
        # Cancelled until it is done: one cancellation can still be lost to a library that swallows it.
        while self._task and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([self._task], timeout=1.0)

    async def reload(self, sessionmaker: async_sessionmaker[AsyncSession] | None = None) -> None:
        """Read the whole catalog again."""
        async with self._consistent_session(sessionmaker) as session:
            # The sequence number first: a commit landing after it is read again by the next refresh.
            seq = await latest_seq(session)
            self.current = await load_snapshot(session, seq)
        self.full_reloads += 1

    async def refresh(self, sessionmaker: async_sessionmaker[AsyncSession] | None = None) -> None:
        """Apply the changes committed since the current snapshot, or reload when they cannot be applied."""
        self._refreshing = True
        try:
            await self._refresh(sessionmaker)
        finally:
            self._refreshing = False

    async def _refresh(self, sessionmaker: async_sessionmaker[AsyncSession] | None) -> None:
        current = self.current
        if current is None:
            await self.reload(sessionmaker)
            return
        async with self._consistent_session(sessionmaker) as session:
            # The assumptions are not in the change log; their table's NOTIFY wakes us, and their stamp says whether
            # they moved. A new history is swapped in with the snapshot, never changed in place.
            if await assumption_stamp(session) != current.assumptions.stamp:
                current = self.current = replace(current, assumptions=await load_assumption_history(session))
            changes = await changes_after(session, current.seq, limit=MAX_CHANGES_APPLIED)
            if changes.seq == current.seq and changes.contiguous:
                return
            if not (changes.contiguous and changes.complete):
                seq = await latest_seq(session)
                self.current = await load_snapshot(session, seq)
                self.full_reloads += 1
                return
            rows, timelines = await load_timelines(session, changes.model_ids)
            alias_rows = await load_aliases(session, changes.model_ids)
            # Made while the session holds the rows: its rollback expires them.
            updated = current.updated(rows, timelines, changes.model_ids, changes.seq, alias_rows)
        self.current = updated

    @contextlib.asynccontextmanager
    async def _consistent_session(self, sessionmaker: async_sessionmaker[AsyncSession] | None
                                  ) -> AsyncIterator[AsyncSession]:
        async with (sessionmaker or self._sessionmaker)() as session:
            # One snapshot of the database for every table read: a commit landing meanwhile cannot tear it.
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            try:
                yield session
            finally:
                await session.rollback()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: retry, and keep serving the last snapshot
                if self.connected and is_connection_failure(exc):
                    # A restart cuts the connection wherever it is; the driver then says so in several ways (one is
                    # "cannot switch to state N", a protocol cut mid-operation). The connection is gone either way,
                    # and the next attempt opens a new one.
                    log.warning("snapshot listener lost its database connection (%s); reconnecting every 0.5 s",
                                type(exc).__name__)
                elif self.connected:
                    log.warning("snapshot listener failed (%r); retrying every 0.5 s", exc)
                self.connected = False
                await asyncio.sleep(0.5)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        try:
            await connection.add_listener(CHANNEL, lambda *_: self._changed.set())
            connection.add_termination_listener(lambda *_: self._changed.set())
            # Whatever changed while we were not listening is in the change log; at start, the snapshot was just
            # loaded, and reading the whole catalog again here cost a 10,000-model worker seconds (bench.scale).
            await self._refresh_latest(connection)
            if not self.connected:
                log.warning("snapshot listener reconnected; snapshot brought up to date")
            self.connected = True
            while True:
                # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation that arrives as the
                # event is set (a commit's NOTIFY as the app stops), and the keeper then ran on forever (gh-86296).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._fallback):
                        await self._changed.wait()
                # Clear before reading: a commit landing during the refresh sets it again, and we refresh again.
                self._changed.clear()
                if connection.is_closed():
                    self.connected = False
                    raise ConnectionError("listener connection closed")
                await self._refresh_latest(connection)
        except Exception:
            connection.terminate()  # a connection cut mid-operation cannot say goodbye: drop it at once
            raise
        finally:
            if not connection.is_closed():
                with contextlib.suppress(Exception):
                    await connection.close()

    async def _refresh_latest(self, connection: asyncpg.Connection) -> None:
        if self._replicas is None:
            await self.refresh()
            return
        # Not caught up while waiting for a replica: nothing may be cut from this snapshot as if it were current.
        self._refreshing = True
        try:
            # The primary's position now is past every commit notified so far.
            lsn = parse_lsn(await connection.fetchval("SELECT pg_current_wal_lsn()::text"))
            reader = await self._reader(lsn)
        except BaseException:
            self._refreshing = False
            raise
        try:
            await self.refresh(reader)
        except Exception as exc:
            if reader is None or not is_connection_failure(exc):
                raise
            await self.refresh()  # the replica went away mid-read: the primary has everything
        self.loaded_lsn = lsn

    async def _reader(self, lsn: int | None) -> async_sessionmaker[AsyncSession] | None:
        """A replica that has replayed `lsn`, waiting up to REPLICA_MAX_LAG for one; None (the primary) when none
        has."""
        assert self._replicas is not None
        replica = await self._replicas.reader(lsn, wait=self._replicas.max_lag) if lsn is not None else None
        if replica is None:
            return None
        self.replica_loads += 1
        return replica.sessionmaker


def current_snapshot(request: Request[Any, Any, Any]) -> CatalogSnapshot:
    """This process's snapshot, for a route that prices from it; while the database is unreachable the
    response is marked stale (service.http.observability.state_headers adds the header)."""
    keeper: SnapshotKeeper = request.app.state.snapshot_keeper
    if not keeper.connected:
        request.scope["state"]["stale_snapshot"] = keeper.current
    return keeper.current  # type: ignore[return-value]
