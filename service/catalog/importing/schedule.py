"""`serve`'s scheduled sync: every SYNC_INTERVAL, each of SYNC_SOURCES is synced by one process of all.

Every worker runs this timer. A run takes the sync advisory lock without waiting and skips a source whose last
run finished less than half an interval ago, so however many workers there are, a source is synced once a turn.
The run itself happens in a child process: parsing and importing a whole catalog is seconds of Python that
would otherwise hold this worker's event loop (a thread would not help: it holds the GIL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.catalog.importing.sync import SyncSource, log_run, run_fields, run_sync
from service.db.engine import make_engine, make_sessionmaker
from service.db.models import SyncRunRow

log = logging.getLogger("service.sync")


def sync_in_child(database_url: str, source: SyncSource, due_after_seconds: float) -> dict[str, object] | None:
    """Runs in the child process: one scheduled run with an engine of its own; None when it was not its turn."""
    return asyncio.run(_sync(database_url, source, timedelta(seconds=due_after_seconds)))


async def _sync(database_url: str, source: SyncSource, due_after: timedelta) -> dict[str, object] | None:
    engine = make_engine(database_url, pool_size=1)
    try:
        result = await run_sync(make_sessionmaker(engine), source, wait=False, due_after=due_after)
        return None if result is None else run_fields(result.run)
    finally:
        await engine.dispose()


class SyncScheduler:
    def __init__(self, database_url: str, sessionmaker: async_sessionmaker[AsyncSession],
                 sources: tuple[SyncSource, ...], interval: timedelta) -> None:
        self.database_url, self.sessionmaker = database_url, sessionmaker
        self.sources, self.interval = sources, interval
        # What /metrics shows: runs this process did, by (source, outcome); and, from the database, each source's
        # last run and last success, whichever process ran them.
        self.runs: Counter[tuple[str, str]] = Counter()
        self.last_outcome: dict[str, str] = {}
        self.last_success: dict[str, datetime] = {}
        self._executor: ProcessPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # spawn, not fork: forking a process that runs an event loop and holds database connections is unsafe.
        self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self._task = asyncio.create_task(self._loop(), name="catalog-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _loop(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self.interval.total_seconds())

    async def tick(self) -> None:
        assert self._executor is not None, "start() first"
        loop = asyncio.get_running_loop()
        for source in self.sources:
            try:
                run = await loop.run_in_executor(self._executor, sync_in_child, self.database_url, source,
                                                 self.interval.total_seconds() / 2)
            except Exception:  # the child died or could not reach the database: try again next turn
                log.exception("catalog sync of %s could not run", source.url)
                continue
            if run is not None:
                self.runs[(source.url, str(run["outcome"]))] += 1
                log_run(run)
        try:
            await self.refresh()
        except Exception:
            log.exception("could not read the last sync runs")

    async def refresh(self) -> None:
        urls = [source.url for source in self.sources]
        async with self.sessionmaker() as session:
            newest = (select(func.max(SyncRunRow.id)).where(SyncRunRow.source_url.in_(urls),
                                                             SyncRunRow.dry_run.is_(False))
                      .group_by(SyncRunRow.source_url))
            last = await session.execute(
                select(SyncRunRow.source_url, SyncRunRow.outcome).where(SyncRunRow.id.in_(newest)))
            success = await session.execute(
                select(SyncRunRow.source_url, func.max(SyncRunRow.finished_at))
                .where(SyncRunRow.source_url.in_(urls), SyncRunRow.dry_run.is_(False),
                       SyncRunRow.outcome != "failed").group_by(SyncRunRow.source_url))
            self.last_outcome = {url: outcome for url, outcome in last}
            self.last_success = {url: finished for url, finished in success}
