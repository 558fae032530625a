"""An open-loop load generator: POSTs at a fixed rate, whatever the server's answers are doing.

A closed loop (wrk -cN) keeps N requests in flight, so its latency is mostly the queue it builds itself: N times the
service time. Load from many independent clients arrives at a rate instead. Here request i is due at start + i/rate;
it is sent at that moment on an idle keep-alive connection (a new one when every connection is busy), never held
back by a slow answer. Latency is counted from when the request was due (so a late send counts against the server
side, not hidden: no coordinated omission), and also from when it was sent; how late sends were (the lag) tells
whether this client kept up, beside the rate it achieved.

The event loop's timers tick in milliseconds, so a send may be up to about 1 ms late even on an idle machine: the
lag percentiles show it, and "from sent" leaves it out. Times are read from time.perf_counter (uvloop's own clock
counts whole milliseconds).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from typing import NamedTuple

import uvloop


class LoadResult(NamedTuple):
    rate: float  # asked, requests per second
    achieved: float  # answered, per second of the run
    errors: int  # non-2xx answers and connections the server closed
    p50_ms: float  # from due to answered
    p99_ms: float
    p50_sent_ms: float  # from sent to answered
    p99_sent_ms: float
    p99_lag_ms: float  # how late sends were
    connections: int
    client_cpu: float  # this client's CPU time over the run's time: near 1, it is the bottleneck


def post_bytes(path: str, body: bytes, port: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _answer(reader: asyncio.StreamReader) -> bool:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def _run(port: int, request: bytes, rate: float, seconds: float, warm_up: float) -> LoadResult:
    idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = deque(
        [await asyncio.open_connection("127.0.0.1", port) for _ in range(16)])
    opened = len(idle)
    due_ms: list[float] = []
    sent_ms: list[float] = []
    lags: list[float] = []
    errors = 0
    clock = time.perf_counter
    start = clock() + 0.05
    cpu_started = time.process_time()
    total = int(rate * (warm_up + seconds))
    counted_from = int(rate * warm_up)
    tasks = set()

    async def one(index: int, due: float) -> None:
        nonlocal opened, errors
        # The connection idle longest first: each is used every few milliseconds, never left to the server's
        # keep-alive timeout.
        if idle:
            reader, writer = idle.popleft()
        else:
            opened += 1
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = clock()
        try:
            writer.write(request)
            ok = await _answer(reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            errors += index >= counted_from
            return
        done = clock()
        idle.append((reader, writer))
        if index >= counted_from:
            errors += not ok
            due_ms.append((done - due) * 1000)
            sent_ms.append((done - sent) * 1000)
            lags.append((sent - due) * 1000)

    for index in range(total):
        due = start + index / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(index, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    measured_from = start + counted_from / rate
    await asyncio.gather(*tasks)
    finished = clock()
    cpu = time.process_time() - cpu_started
    for _, writer in idle:
        writer.close()
    answered = len(due_ms)
    return LoadResult(rate, answered / (finished - measured_from), errors, statistics.median(due_ms),
                      percentile(due_ms, 0.99), statistics.median(sent_ms), percentile(sent_ms, 0.99),
                      percentile(lags, 0.99), opened, cpu / (finished - start))


def fixed_rate(port: int, request: bytes, rate: float, seconds: float = 10, warm_up: float = 2) -> LoadResult:
    """POST `request` (whole HTTP/1.1 bytes) to 127.0.0.1:`port` at `rate` per second for `seconds` after
    `warm_up` seconds that are not counted."""
    return uvloop.run(_run(port, request, rate, seconds, warm_up))
