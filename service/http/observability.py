"""Metrics and logs: Prometheus metrics at /metrics, and JSON log lines carrying the request id (which every
answer carries back: see service.http.front) and the route.

Metrics are per process (each worker has its own registry); scrape every worker, or run one worker per
container as the compose file's replicas would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
import uuid
from bisect import bisect_left
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.types import Scope
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
# The request's route template once routed (its path before), for every log line written while it runs.
ROUTE: ContextVar[str] = ContextVar("route", default="-")
# Request ids: a random prefix per process and a counter; unique across workers, and far cheaper than uuid4().
_ID_PREFIX = uuid.uuid4().hex[:16]
_ID_COUNTER = itertools.count(1)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Metrics:
    """Request counts and latencies, kept as plain numbers and turned into Prometheus families at scrape time.

    Hand-written rather than prometheus_client's Counter and Histogram: those take a lock on every update,
    which measured at several microseconds per request on the estimate path; this process is one event loop.
    """

    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.counts: dict[tuple[str, str, int], int] = {}
        # Per (method, route): one count per bucket, then +Inf, then the sum of seconds.
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.registry.register(self)

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        histogram = self.latency.get((method, route))
        if histogram is None:
            histogram = self.latency[(method, route)] = [0.0] * (len(self.BUCKETS) + 2)
        histogram[bisect_left(self.BUCKETS, seconds)] += 1
        histogram[-1] += seconds

    def collect(self) -> Iterator[Any]:
        requests = CounterMetricFamily("http_requests", "HTTP requests answered", labels=["method", "route", "status"])
        for (method, route, status), count in sorted(self.counts.items()):
            requests.add_metric([method, route, str(status)], count)
        yield requests
        latency = HistogramMetricFamily("http_request_duration_seconds", "Time to answer, by route",
                                        labels=["method", "route"])
        for (method, route), histogram in sorted(self.latency.items()):
            cumulative, buckets = 0.0, []
            for bound, in_bucket in zip((*map(str, self.BUCKETS), "+Inf"), histogram[:-1], strict=True):
                cumulative += in_bucket
                buckets.append((bound, cumulative))
            latency.add_metric([method, route], buckets, sum_value=histogram[-1])
        yield latency


class AppStateCollector:
    """Read at scrape time: snapshot age, database pool use, scheduled syncs, rate-limit rejections."""

    def __init__(self, state: State) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        keeper = self.state.get("snapshot_keeper")
        if keeper is not None and keeper.current is not None:
            age = (datetime.now(UTC) - keeper.current.loaded_at).total_seconds()
            yield GaugeMetricFamily("catalog_snapshot_age_seconds", "Seconds since the snapshot was loaded",
                                    value=age)
            yield GaugeMetricFamily("catalog_snapshot_connected", "1 while the snapshot listener is connected",
                                    value=1 if keeper.connected else 0)
        engine = self.state.get("engine")
        if engine is not None:
            pool = GaugeMetricFamily("db_pool_connections", "Database pool connections", labels=["state"])
            pool.add_metric(["checked_out"], engine.pool.checkedout())
            pool.add_metric(["idle"], engine.pool.checkedin())
            yield pool
        scheduler = self.state.get("sync_scheduler")
        if scheduler is not None:
            yield from _sync_metrics(scheduler)
        limiter = self.state.get("rate_limiter")
        if limiter is not None:
            yield GaugeMetricFamily("rate_limit_rejections", "Requests refused with 429 since start",
                                    value=limiter.rejections)
            yield CounterMetricFamily("auth_failures", "Calls with an unknown or revoked API key since start",
                                      value=limiter.auth_failures)


def _sync_metrics(scheduler: Any) -> Iterator[Any]:
    runs = CounterMetricFamily("catalog_sync_runs", "Scheduled sync runs this process did, by outcome",
                               labels=["source", "outcome"])
    for (source, outcome), count in sorted(scheduler.runs.items()):
        runs.add_metric([source, outcome], count)
    yield runs
    success = GaugeMetricFamily("catalog_sync_last_success_timestamp_seconds",
                                "When the source's last run that did not fail finished (any process)",
                                labels=["source"])
    failed = GaugeMetricFamily("catalog_sync_last_run_failed", "1 when the source's last run failed (any process)",
                               labels=["source"])
    for source in scheduler.sources:
        if (finished := scheduler.last_success.get(source.url)) is not None:
            success.add_metric([source.url], finished.timestamp())
        if (outcome := scheduler.last_outcome.get(source.url)) is not None:
            failed.add_metric([source.url], 1 if outcome == "failed" else 0)
    yield success
    yield failed


class LoopLagProbe:
    """How late the event loop wakes a task that sleeps 5 ms at a time: any work that holds the loop (a large
    rebuild, a slow render) shows here as lag, whatever request or task did it. Always on; it costs one wake-up
    per 5 ms. Read at scrape time: the longest lag since start, and a histogram of every wake-up's lag."""

    INTERVAL = 0.005
    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

    def __init__(self) -> None:
        self.longest = 0.0
        # One count per bucket, then +Inf, then the sum of seconds (as Metrics.latency).
        self.histogram = [0.0] * (len(self.BUCKETS) + 2)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop-lag-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # perf_counter, not loop.time(): uvloop's clock has millisecond steps, too coarse for a 5 ms sleep.
        while True:
            expected = time.perf_counter() + self.INTERVAL
            await asyncio.sleep(self.INTERVAL)
            self.record(max(0.0, time.perf_counter() - expected))

    def record(self, lag: float) -> None:
        self.longest = max(self.longest, lag)
        self.histogram[bisect_left(self.BUCKETS, lag)] += 1
        self.histogram[-1] += lag

    def collect(self) -> Iterator[Any]:
        yield GaugeMetricFamily("event_loop_lag_max_seconds", "Longest event-loop lag seen since start",
                                value=self.longest)
        cumulative, buckets = 0.0, []
        for bound, in_bucket in zip((*map(str, self.BUCKETS), "+Inf"), self.histogram[:-1], strict=True):
            cumulative += in_bucket
            buckets.append((bound, cumulative))
        lag = HistogramMetricFamily("event_loop_lag_seconds", "How late a 5 ms sleep wakes up")
        lag.add_metric([], buckets, sum_value=self.histogram[-1])
        yield lag


def request_id_from(incoming: bytes | None) -> str:
    """The caller's X-Request-Id when it is a sane one, else a new id."""
    if incoming is not None:
        text = incoming.decode("latin-1")
        if _VALID_REQUEST_ID.match(text):
            return text
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


@get("/metrics", tags=["operations"], summary="Prometheus metrics of this process", media_type=CONTENT_TYPE_LATEST,
     opt={"rate_limit": None}, sync_to_thread=False)
def metrics_endpoint(state: State) -> Response[bytes]:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def state_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """What the request learnt on the way: its rate-limit budget once it runs low (every response header costs
    the server measurably, and a 429 always carries them), and whether estimates came from a stale snapshot."""
    state = scope.get("state", {})
    extra: list[tuple[bytes, bytes]] = []
    if (verdict := state.get("rate_limit")) is not None and verdict.running_low:
        extra += verdict.raw_headers()
    if (token := state.get("consistency_token")) is not None:  # a write's, with read replicas (service.db.engine)
        extra.append((b"x-consistency-token", token.encode()))
    if (snapshot := state.get("stale_snapshot")) is not None:
        extra.append((b"x-catalog-snapshot", f"stale; loaded_at={snapshot.loaded_at.isoformat()}".encode()))
    return extra


def install_metrics(app: Litestar) -> None:
    metrics = Metrics()
    metrics.registry.register(AppStateCollector(app.state))
    app.state.metrics = metrics
    # Started with the app's lifespan, after the hooks create_app gave (the first snapshot load among them).
    probe = app.state.loop_lag = LoopLagProbe()
    metrics.registry.register(probe)
    app.on_startup.append(probe.start)
    app.on_shutdown.append(probe.stop)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.route = ROUTE.get()
        return True


def json_handler(stream: Any = None) -> logging.Handler:
    """JSON lines, each with the request id. Nothing in this service logs headers, so keys never reach logs."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}{request_id}{route}", style="{",
                                       rename_fields={"asctime": "time", "levelname": "level"}))
    handler.addFilter(_RequestIdFilter())
    return handler


def configure_logging(level: str) -> None:
    """Every line through one JSON handler on the root logger, uvicorn's own included: `serve` starts uvicorn
    with `log_config=None` and no access log (service.http.front writes one, with the request id)."""
    root = logging.getLogger()
    root.handlers = [json_handler()]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [], True
    # uvicorn's access line knows no request id; service.http.front writes the access line instead.
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [], False


