"""Metrics and logs: Prometheus metrics at /metrics, JSON log lines carrying the request id, which every
response echoes in X-Request-Id.

Metrics are per process (each worker has its own registry); scrape every worker, or run one worker per
container as the compose file's replicas would.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
# Request ids: a random prefix per process and a counter; unique across workers, and far cheaper than uuid4().
_ID_PREFIX = uuid.uuid4().hex[:16]
_ID_COUNTER = itertools.count(1)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "Time to answer, by route", ["method", "route"],
                                 registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        # labels() costs more than the count itself; the set of (method, route, status) is small, so keep them.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self._counters[(method, route, status)] = self.requests.labels(method, route, str(status))
        timer = self._timers.get((method, route))
        if timer is None:
            timer = self._timers[(method, route)] = self.latency.labels(method, route)
        counter.inc()
        timer.observe(seconds)


class AppStateCollector:
    """Read at scrape time: snapshot age, database pool use, rate-limit rejections."""

    def __init__(self, state: State) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
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
        limiter = self.state.get("rate_limiter")
        if limiter is not None:
            yield GaugeMetricFamily("rate_limit_rejections", "Requests refused with 429 since start",
                                    value=limiter.rejections)


class ObservabilityMiddleware:
    """Times and counts each request by route template, and gives it a request id for the logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                request_id = incoming if _VALID_REQUEST_ID.match(incoming) else None
                break
        if request_id is None:
            request_id = f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"
        token = REQUEST_ID.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics: Metrics = scope["app"].state.metrics
            metrics.record(scope["method"], scope.get("path_template") or "unmatched", status,
                           time.perf_counter() - started)
            REQUEST_ID.reset(token)


@get("/metrics", tags=["operations"], summary="Prometheus metrics of this process", media_type=CONTENT_TYPE_LATEST,
     opt={"rate_limit": None}, sync_to_thread=False)
def metrics_endpoint(state: State) -> Response[bytes]:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: Litestar) -> None:
    metrics = Metrics()
    metrics.registry.register(AppStateCollector(app.state))
    app.state.metrics = metrics


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def json_handler(stream: Any = None) -> logging.Handler:
    """JSON lines, each with the request id. Nothing in this service logs headers, so keys never reach logs."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}{request_id}", style="{",
                                       rename_fields={"asctime": "time", "levelname": "level"}))
    handler.addFilter(_RequestIdFilter())
    return handler


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    root.handlers = [json_handler()]
    root.setLevel(level)


