"""`pricing-api serve` logs JSON lines only, one per request with its id, route, status and duration, and every
answer carries X-Request-Id (issue 15, item 16). The command runs for real; its stderr is read line by line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_logs_one_json_line_per_request_with_its_id_route_status_and_duration(database_url, engine, tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "INFO"}
    with open(tmp_path / "stderr", "wb") as err:
        server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                                  stdout=err, stderr=subprocess.STDOUT)
        try:
            answers = _requests(f"http://127.0.0.1:{port}")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    lines = [line for line in (tmp_path / "stderr").read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, uvicorn's own included, is one JSON object
    access = {record["request_id"]: record for record in records if record.get("name") == "service.access"}
    for response, route in answers:
        request_id = response.headers["x-request-id"]  # on every answer: success, 404, 405, 422, HEAD
        record = access[request_id]
        assert (record["route"], record["status"]) == (route, response.status_code), record
        assert record["duration_ms"] >= 0 and record["method"] == response.request.method
    assert all("request_id" in record and "time" in record and "level" in record for record in records)


def _requests(url: str) -> list[tuple[httpx.Response, str]]:
    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(300):
            try:
                client.get("/health/live").raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        estimate = {"model": "deepseek-v4-flash", "input_tokens": -1, "output_tokens": 1}
        return [
            (client.get("/v1/models"), "/v1/models"),
            (client.get("/v1/no-such-route"), "unmatched"),
            (client.put("/v1/providers", json={}), "unmatched"),
            (client.post("/v1/estimate", json=estimate), "/v1/estimate"),
            (client.head("/v1/providers"), "/v1/providers"),
            (client.get("/health/live", headers={"X-Request-Id": "caller-chose-this"}), "/health/live"),
        ]
