"""Streaming read replicas (DATABASE_REPLICA_URLS): how far behind each one is, which may serve a read that may
lag, and read-your-writes by consistency token (the primary's WAL position after a write's commit).

A monitor samples the primary's WAL position and each replica's replayed position every CHECK_EVERY seconds. A
replica's lag in seconds is how long ago the primary was where the replica is now: measured against the
primary's own positions over time, it reads 0 on an idle primary (where "now - last replayed commit" would
grow forever) and does not depend on the two clocks agreeing. A replica that fails its check, or lags by more
than REPLICA_MAX_LAG, takes no reads until a check finds it well again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

log = logging.getLogger("service.replicas")
CHECK_EVERY = 0.5  # seconds between checks: a lag figure is at most this old
CHECK_TIMEOUT = 2.0  # a replica slower than this to answer its check is taken for down
HISTORY_SECONDS = 600.0  # how far back a lag can be measured; beyond it, it reads as at least this
_POLL = 0.01  # seconds between looks at a replica's position while a token read waits for it


def parse_lsn(value: str | None) -> int | None:
    """A WAL position as PostgreSQL writes it ("16/B374D848"), as a number; None for anything else."""
    high, slash, low = (value or "").strip().partition("/")
    if not slash or not 0 < len(high) <= 8 or not 0 < len(low) <= 8:
        return None
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


@dataclass(eq=False)
class Replica:
    name: str  # host:port/database, never the password
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    up: bool = False
    replay_lsn: int | None = None
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    reads: int = 0


@dataclass(eq=False)  # a prometheus collector: hashed by identity
class ReplicaSet:
    primary: AsyncEngine
    replicas: list[Replica]
    max_lag: float  # seconds
    token_wait: float  # seconds a token read may wait for a replica before the primary serves it
    primary_reads: int = 0
    _history: deque[tuple[float, int]] = field(default_factory=deque)  # (monotonic time, primary LSN)
    _turn: Iterator[int] = field(default_factory=itertools.count)
    _task: asyncio.Task[None] | None = None

    @classmethod
    def connect(cls, primary: AsyncEngine, urls: tuple[str, ...], *, max_lag: float, token_wait: float,
                pool_mode: str) -> ReplicaSet:
        from service.db.engine import make_engine, make_sessionmaker

        replicas = []
        for url in urls:
            parsed = make_url(url)
            # Pinged on checkout: a replica restarted between two checks must not hand a request a dead connection.
            engine = make_engine(url, pool_mode=pool_mode, pre_ping=True)
            replicas.append(Replica(f"{parsed.host}:{parsed.port or 5432}/{parsed.database}", engine,
                                    make_sessionmaker(engine)))
        return cls(primary, replicas, max_lag=max_lag, token_wait=token_wait)

    async def start(self) -> None:
        await self.check()
        self._task = asyncio.create_task(self._monitor(), name="replica-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for replica in self.replicas:
            await replica.engine.dispose()

    def in_rotation(self) -> list[Replica]:
        return [r for r in self.replicas if r.up and r.lag_seconds is not None and r.lag_seconds <= self.max_lag]

    async def reader(self, token: int | None, wait: float | None = None) -> Replica | None:
        """A replica to read from: one in rotation, and when `token` is given one that has replayed it, waiting up
        to `wait` (default REPLICA_TOKEN_WAIT) for it; None when the primary must serve."""
        candidates = self.in_rotation()
        if not candidates:
            return None
        start = next(self._turn)
        ordered = [candidates[(start + i) % len(candidates)] for i in range(len(candidates))]
        if token is None:
            return ordered[0]
        deadline = time.monotonic() + (self.token_wait if wait is None else wait)
        while True:
            for replica in ordered:
                if replica.replay_lsn is not None and replica.replay_lsn >= token:
                    return replica
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(_POLL)
            await asyncio.gather(*[self._check_replica(r, None) for r in ordered])

    def mark_down(self, replica: Replica) -> None:
        if replica.up:
            log.warning("replica %s is unreachable: reads go elsewhere until it answers again", replica.name)
        replica.up = False

    async def check(self) -> None:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT), self.primary.connect() as connection:
                primary_lsn = parse_lsn(await connection.scalar(text("SELECT pg_current_wal_lsn()::text")))
        except Exception:  # the primary away: nothing to measure against; the replicas keep their last figures
            return
        if primary_lsn is not None:
            now = time.monotonic()
            self._history.append((now, primary_lsn))
            while self._history and self._history[0][0] < now - HISTORY_SECONDS:
                self._history.popleft()
        await asyncio.gather(*[self._check_replica(r, primary_lsn) for r in self.replicas])

    async def _check_replica(self, replica: Replica, primary_lsn: int | None) -> None:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT), replica.engine.connect() as connection:
                row = (await connection.execute(text(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"))).one()
        except Exception:
            self.mark_down(replica)
            return
        in_recovery, replayed = bool(row[0]), parse_lsn(row[1])
        if not in_recovery or replayed is None:
            # Promoted (or never a standby): no longer a copy of this primary's history; it takes no reads.
            self.mark_down(replica)
            return
        if not replica.up:
            log.info("replica %s answers again", replica.name)
        replica.up, replica.replay_lsn = True, replayed
        if primary_lsn is not None:
            replica.lag_bytes = max(0, primary_lsn - replayed)
            replica.lag_seconds = self._seconds_behind(replayed)

    def _seconds_behind(self, replayed: int) -> float:
        now = time.monotonic()
        if not self._history or replayed >= self._history[-1][1]:
            return 0.0
        # The first sample with WAL the replica has not replayed: the replica is as it was just before it.
        for sampled_at, lsn in self._history:
            if lsn > replayed:
                return now - sampled_at
        return 0.0

    async def _monitor(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await self.check()
            except Exception:  # never let the monitor die: a replica it cannot judge takes no reads
                log.warning("replica check failed", exc_info=True)

    def health(self) -> list[dict[str, Any]]:
        rotation = self.in_rotation()
        return [{"name": r.name, "up": r.up, "lag_seconds": r.lag_seconds, "lag_bytes": r.lag_bytes,
                 "in_rotation": r in rotation} for r in self.replicas]

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        up = GaugeMetricFamily("db_replica_up", "1 while the replica answers its checks as a standby",
                               labels=["replica"])
        lag = GaugeMetricFamily("db_replica_lag_seconds", "How long ago the primary was where the replica is now",
                                labels=["replica"])
        lag_bytes = GaugeMetricFamily("db_replica_lag_bytes", "WAL the replica has yet to replay",
                                      labels=["replica"])
        rotation = GaugeMetricFamily("db_replica_in_rotation", "1 while the replica takes reads (up, lag within "
                                     "REPLICA_MAX_LAG)", labels=["replica"])
        reads = CounterMetricFamily("db_reads", "Reads that may lag, by the server that served them",
                                    labels=["server"])
        serving = self.in_rotation()
        for r in self.replicas:
            up.add_metric([r.name], 1 if r.up else 0)
            rotation.add_metric([r.name], 1 if r in serving else 0)
            if r.lag_seconds is not None:
                lag.add_metric([r.name], r.lag_seconds)
            if r.lag_bytes is not None:
                lag_bytes.add_metric([r.name], r.lag_bytes)
            reads.add_metric([r.name], r.reads)
        reads.add_metric(["primary"], self.primary_reads)
        yield from (up, lag, lag_bytes, rotation, reads)
