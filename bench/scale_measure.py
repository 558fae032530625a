"""The measurements of bench.scale, each against a served app on 127.0.0.1: writes through the API, the loop-lag
probe, commit-to-visible in every worker, the price feed, model lists, monthly estimates, wrk, RSS."""

from __future__ import annotations

import http.client
import json
import re
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
from prometheus_client.parser import text_string_to_metric_families

# Writes add periods from 2027 on, one minute apart, so each new period starts inside its model's open one.
WRITE_START = datetime(2027, 1, 1, tzinfo=UTC)
# One request pricing many models' months: set to "/v1/estimate/monthly/models" where that endpoint exists, and
# the figure becomes one request for all the models instead of one request per model.
MONTHLY_MODELS_PATH: str | None = "/v1/estimate/monthly/models"
MONTHLY_USAGE = {"input_tokens": 50000, "output_tokens": 20000, "sessions_per_month": 1000, "month": "2026-07"}
ESTIMATE_BODY = {"model": "deepseek-v4-flash", "input_tokens": 50000, "output_tokens": 20000,
                 "at": "2026-05-10T12:00:00Z"}


class Writes:
    """New price periods through `POST /v1/models/{id}/prices`, each later than every one before it."""

    def __init__(self, key: str, models: list[str]) -> None:
        self.headers = {"Authorization": f"Bearer {key}"}
        self.models = models
        self.count = 0

    def write(self, client: httpx.Client) -> tuple[str, int, str]:
        """One write; its model, the new price's id and its start."""
        number, self.count = self.count, self.count + 1
        model = self.models[number % len(self.models)]
        valid_from = (WRITE_START + timedelta(minutes=number)).isoformat()
        response = client.post(f"/v1/models/{model}/prices", headers=self.headers, json={
            "valid_from": valid_from, "input_per_mtok": str(Decimal(number % 9000 + 1000) / 100),
            "output_per_mtok": "2", "source": "bench:write"})
        if response.status_code != 201 and response.status_code != 200:
            raise RuntimeError(f"write refused: {response.status_code} {response.text[:300]}")
        return model, int(response.json()["id"]), valid_from


def client_for(port: int) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def lag_state(client: httpx.Client) -> tuple[float, list[float]]:
    """The probe's longest lag since start, and its cumulative histogram counts by bucket (both in seconds)."""
    samples = scrape(client)
    buckets = sorted((float(dict(labels)["le"]), value) for (name, labels), value in samples.items()
                     if name == "event_loop_lag_seconds_bucket")
    return samples[("event_loop_lag_max_seconds", ())], [value for _, value in buckets]


LAG_BOUNDS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, float("inf"))  # ms, as LoopLagProbe.BUCKETS


def loop_lag_during_writes(client: httpx.Client, writes: Writes, seconds: float = 6, per_second: int = 10
                           ) -> tuple[str, int]:
    """The longest event-loop lag (ms) during `per_second` writes a second for `seconds`, and how many of the
    probe's wake-ups came over 10 ms late. The longest is exact when it beats the longest before the phase (the
    process's start and first write); otherwise the histogram bounds it, as "<= bound"."""
    longest_before, counts_before = lag_state(client)
    started = time.perf_counter()
    for tick in range(int(seconds * per_second)):
        time.sleep(max(0.0, started + tick / per_second - time.perf_counter()))
        writes.write(client)
    time.sleep(0.5)  # the last refresh lands
    longest_after, counts_after = lag_state(client)
    in_phase = [after - before for before, after in zip(counts_before, counts_after, strict=True)]
    over_10_ms = int(in_phase[-1] - in_phase[LAG_BOUNDS.index(10)])
    if longest_after > longest_before:
        return f"{longest_after * 1000:.1f}", over_10_ms
    highest = max(n for n, count in enumerate(in_phase) if count > (in_phase[n - 1] if n else 0))
    return f"<= {LAG_BOUNDS[highest]:g}", over_10_ms


class WorkerConnection:
    """One keep-alive connection, and the worker process behind it, told by the prefix of its request ids."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.worker = self.get("/v1/models/no-such-model-bench")[1]["x-request-id"][:16]

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def one_connection_per_worker(port: int, workers: int) -> list[WorkerConnection]:
    found: dict[str, WorkerConnection] = {}
    for _ in range(200):
        connection = WorkerConnection(port)
        if connection.worker in found:
            connection.connection.close()
        else:
            found[connection.worker] = connection
        if len(found) == workers:
            return list(found.values())
    raise RuntimeError(f"reached {len(found)} of {workers} workers")


def commit_to_visible(port: int, writes: Writes, workers: int = 2, count: int = 50, patience: float = 10
                      ) -> list[float]:
    """For each write, the ms from its answer (the commit is behind it) until `GET /v1/estimate` at the new
    period's start names the new price in every worker, each polled on its own keep-alive connection."""
    times = []
    with client_for(port) as client:
        for _ in range(count):
            connections = one_connection_per_worker(port, workers)
            model, price_id, valid_from = writes.write(client)
            committed = time.perf_counter()
            path = f"/v1/estimate?model={model}&input_tokens=1000&output_tokens=0&at={quote(valid_from)}"
            pending = set(range(workers))
            while pending:
                for number in list(pending):
                    status, _, body = connections[number].get(path)
                    if status == 200 and json.loads(body)["price"]["price_id"] == price_id:
                        pending.discard(number)
                if time.perf_counter() - committed > patience:
                    raise RuntimeError(f"price {price_id} not visible in every worker after {patience} s")
            times.append((time.perf_counter() - committed) * 1000)
            for connection in connections:
                connection.connection.close()
            time.sleep(0.05)
    return times


def feed_304(client: httpx.Client, key: str, count: int = 300) -> tuple[float, float]:
    """Server time of a 304 on the price feed, two ways (ms): the mean of the route's own latency histogram
    (the edge middleware's, from the request's arrival to its last byte handed to the server) over `count` 304s,
    and the client's median minus its median for `/health/live`, both over one keep-alive connection."""
    # Uncompressed: each coding's first request compresses the body once, which compressed_feed_after_write times.
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    etag = client.get("/v1/feeds/prices", headers=headers).headers["etag"]
    conditional = {**headers, "If-None-Match": etag}
    labels = (("method", "GET"), ("route", "/v1/feeds/prices"))
    before = scrape(client)
    feed, live = [], []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get("/v1/feeds/prices", headers=conditional)
        feed.append(time.perf_counter() - started)
        assert response.status_code == 304, response.status_code
        started = time.perf_counter()
        client.get("/health/live")
        live.append(time.perf_counter() - started)
    after = scrape(client)
    sum_key, count_key = ("http_request_duration_seconds_sum", labels), ("http_request_duration_seconds_count", labels)
    served, answered = after[sum_key] - before[sum_key], after[count_key] - before[count_key]
    return served / answered * 1000, (statistics.median(feed) - statistics.median(live)) * 1000


def full_feed(client: httpx.Client, key: str, count: int = 20) -> tuple[float, int]:
    """Median client time (ms) of the whole JSON price feed, uncompressed, after two warm-up requests; its size."""
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    times = []
    for number in range(count + 2):
        started = time.perf_counter()
        response = client.get("/v1/feeds/prices", headers=headers)
        if number >= 2:
            times.append((time.perf_counter() - started) * 1000)
    response.raise_for_status()
    return statistics.median(times), len(response.content)


def feed_after_write(client: httpx.Client, key: str, writes: Writes, count: int = 5) -> float:
    """Median client time (ms) of the JSON feed as first asked for after a write (rendered anew)."""
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    times = []
    for _ in range(count):
        writes.write(client)
        time.sleep(0.3)
        started = time.perf_counter()
        client.get("/v1/feeds/prices", headers=headers).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def compressed_feed_after_write(client: httpx.Client, key: str, writes: Writes) -> dict[str, float]:
    """Client time (ms) of the JSON feed as first asked for after a write, in each content coding the service
    offers: the body is rendered once (by an identity request first), then each coding compresses it once."""
    writes.write(client)
    time.sleep(0.3)
    headers = {"Authorization": f"Bearer {key}"}
    client.get("/v1/feeds/prices", headers={**headers, "Accept-Encoding": "identity"}).raise_for_status()
    times = {}
    for encoding in ("gzip", "zstd", "br"):
        started = time.perf_counter()
        response = client.get("/v1/feeds/prices", headers={**headers, "Accept-Encoding": encoding})
        times[encoding] = (time.perf_counter() - started) * 1000
        assert response.headers.get("content-encoding") == encoding, response.headers
    return times


def monthly_for_models(client: httpx.Client, models: list[str]) -> float:
    """Client time (ms) to price a month on every model of `models`: one request each to /v1/estimate/monthly, or
    one request for all of them when MONTHLY_MODELS_PATH is set."""
    started = time.perf_counter()
    if MONTHLY_MODELS_PATH:
        response = client.post(MONTHLY_MODELS_PATH, json={**MONTHLY_USAGE, "models": models})
        response.raise_for_status()
    else:
        for model in models:
            client.post("/v1/estimate/monthly", json={**MONTHLY_USAGE, "model": model}).raise_for_status()
    return (time.perf_counter() - started) * 1000


def wrk(url: str, connections: int, duration: str, body: dict | None = None) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of wrk -t1 against `url`: a GET, or a JSON POST of `body`."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text("" if body is None else f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}", "--latency", "-s", str(script),
                              url], capture_output=True, text=True, check=True).stdout
    finally:
        script.unlink()
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024  # type: ignore[union-attr]
