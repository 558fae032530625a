"""Big batches priced in a process of their own, at a lower CPU priority, from that process's own catalog snapshot;
and project estimates over many offerings (service/estimates/heavy_posts.py), for the same reason.

Why a process: a 10,000-item batch is 0.1-0.3 s of CPU. On a thread of the serving process it holds the
interpreter lock against the event loop, and every other client's request waits for it at each step
(bench.anonymous_flood: a victim's p99 went 3-12x up under a flood of batches). In a process of its own it shares
no lock with the event loop, and in the kernel's idle class (SCHED_IDLE, `BATCH_PROCESS_IDLE`; else at
`BATCH_PROCESS_NICE`) the kernel runs the serving process first whenever both want a core. The serving process only
moves bytes: the body goes in, the answer's bytes come back, and both are made by answers.answer_batch, the same
function that prices a batch in process, so the answers are the same bytes (tests/estimates/test_batch_process.py).

The answer's bytes come back in a file in shared memory rather than through the pool's pipe (service/estimates/spool.py
says why), and the serving process sends them a piece at a time.

The process keeps its own snapshot current as every uvicorn worker does (service.snapshot.keeper: a load at start,
then LISTEN/NOTIFY), on a thread of its own. A batch carries the serving process's snapshot `seq`, and is priced
only from a snapshot at least that new: the process waits up to FRESH_WAIT for its keeper to catch up, and
otherwise answers None, and the serving process prices the batch itself. So is a batch while the process is still
loading its first snapshot, and a batch that names `known_at` (it reads the database: service.estimates.as_of).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

from service.db.engine import make_engine, make_sessionmaker
from service.estimates.answers import (
    KNOWN_AT,
    Answer,
    AsOfBatch,
    Header,
    answer_batch,
    answer_batch_off_loop,
    answer_project,
)
from service.estimates.limits import WorkLimits
from service.estimates.spool import PIECE, Spooled, SpooledBody, discard, make_spool, remove_spool, spooled
from service.settings import Settings
from service.snapshot.catalog_snapshot import CatalogSnapshot
from service.snapshot.keeper import SnapshotKeeper

log = logging.getLogger("service.estimates")
# How long a batch waits in the process for its snapshot to reach the serving process's; a commit reaches both by
# the same NOTIFY, within milliseconds, so this is only hit when the process's listener is down.
FRESH_WAIT = 1.0


class SpooledAnswer(NamedTuple):
    """An Answer whose body a batch process left in the spool: sent a piece at a time (fast_path.send_body)."""

    status: int
    headers: list[Header]
    body: SpooledBody


class _Handed(NamedTuple):
    """What the batch process hands back for a big answer: all but its body, which is in the spool."""

    status: int
    headers: list[Header]
    body: Spooled


class BatchProcess:
    """The pool of batch processes of one serving process (BATCH_PROCESSES of them), from start to shutdown."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.min_bytes = settings.batch_process_min_bytes
        self.answered = 0  # batches the processes answered (the rest fell back to the batch thread)
        self.spool = make_spool()
        self._pool = self._started()

    def _started(self) -> ProcessPoolExecutor:
        # spawn, not fork: a fork of the serving process would copy its event loop, its threads' locks and its
        # database connections mid-use.
        pool = ProcessPoolExecutor(self._settings.batch_processes, multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self._settings,))
        for _ in range(self._settings.batch_processes):
            pool.submit(_loaded)  # start them now, so their snapshots load before the first batch
        return pool

    async def answer(self, snapshot: CatalogSnapshot, body: bytes, limits: WorkLimits,
                     project: bool = False) -> Answer | SpooledAnswer | None:
        """The batch (or with `project`, the project estimate) answered in a batch process from a snapshot at least
        as new as `snapshot`; None when it has none in time."""
        future = self._pool.submit(_answer_there, body, snapshot.seq, limits, str(self.spool), project)
        try:
            answer = await asyncio.wrap_future(future)
        except BrokenProcessPool:  # a batch process died (killed, out of memory): start again, and answer here
            log.warning("a batch process died; starting the batch processes again")
            broken, self._pool = self._pool, self._started()
            broken.shutdown(wait=False, cancel_futures=True)
            return None
        except asyncio.CancelledError:  # nobody waits for the answer any more: its file goes when it is made
            future.add_done_callback(_discarded)
            raise
        self.answered += answer is not None
        if isinstance(answer, _Handed):
            return SpooledAnswer(answer.status, answer.headers, SpooledBody(answer.body))
        return answer

    async def loaded(self) -> bool:
        """Whether a batch process has loaded its first snapshot (it answers None until then)."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, _loaded)

    async def stop(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
        remove_spool(self.spool)


def _discarded(future: Future[Answer | _Handed | None]) -> None:
    if not future.cancelled() and future.exception() is None and isinstance(handed := future.result(), _Handed):
        discard(handed.body)


async def answer_batch_anywhere(process: BatchProcess | None, snapshot: CatalogSnapshot, body: bytes,
                                limits: WorkLimits) -> Answer | SpooledAnswer | AsOfBatch:
    """A batch's answer: from a batch process when there is one and the body is big, else on the batch thread."""
    if process is not None and len(body) >= process.min_bytes and KNOWN_AT not in body:
        answer = await process.answer(snapshot, body, limits)
        if answer is not None:
            return answer
    return await answer_batch_off_loop(snapshot, body, limits)


# What follows runs in the batch process.
_keeper: SnapshotKeeper | None = None
_stopping: tuple[asyncio.AbstractEventLoop, asyncio.Event, threading.Thread] | None = None
_PR_SET_PDEATHSIG = 1


def _start_worker(settings: Settings) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the serving process stops us
    with contextlib.suppress(OSError, AttributeError):  # Linux: gone with the serving process, even after a SIGKILL
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    os.nice(settings.batch_process_nice)
    if settings.batch_process_idle and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):  # refused (a sandbox's syscall filter): the nice above still holds
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    gc.set_threshold(10_000, 20, 20)  # as the serving process (service.http.app.settle_memory)
    started = threading.Event()
    thread = threading.Thread(target=asyncio.run, args=(_keep_current(settings, started),), name="snapshot-keeper",
                              daemon=True)
    thread.start()
    started.wait()
    multiprocessing.util.Finalize(None, _stop_keeping, exitpriority=10)


async def _keep_current(settings: Settings, started: threading.Event) -> None:
    global _keeper, _stopping
    stop = asyncio.Event()
    _stopping = asyncio.get_running_loop(), stop, threading.current_thread()
    started.set()
    engine = make_engine(settings.database_url or "", pool_size=1, pool_mode=settings.database_pool_mode)
    keeper = SnapshotKeeper(settings.listen_url or "", make_sessionmaker(engine))
    try:
        while not stop.is_set():
            try:
                await keeper.start()
                break
            except Exception as exc:  # the database is not there yet: batches are priced in process meanwhile
                log.warning("batch process could not load the catalog (%r); retrying in 1 s", exc)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1):
                        await stop.wait()
        _keeper = keeper
        await stop.wait()
    finally:
        await keeper.stop()
        await engine.dispose()


def _stop_keeping() -> None:
    if _stopping is not None:
        loop, stop, thread = _stopping
        with contextlib.suppress(RuntimeError):  # its loop has ended already
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=5)


def _loaded() -> bool:
    return _keeper is not None


def _answer_there(body: bytes, seq: int, limits: WorkLimits, spool: str,
                  project: bool = False) -> Answer | _Handed | None:
    keeper = _keeper
    if keeper is None or keeper.current is None:
        return None
    deadline = time.monotonic() + FRESH_WAIT
    while keeper.current.seq < seq:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.002)
    answer = answer_project(keeper.current, body, limits) if project else answer_batch(keeper.current, body, limits)
    if not isinstance(answer, Answer):
        return None
    if len(answer.body) < PIECE:  # a problem, or a small batch: the pipe is as quick
        return answer
    handed = spooled(spool, answer.body)
    return answer if handed is None else _Handed(answer.status, answer.headers, handed)
