"""Targets: https only, public addresses only (checked when written and again at delivery), no redirects."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from service.feeds.webhooks.sender import http_client, send
from service.feeds.webhooks.targets import TargetRefused, resolve
from tests.conftest import _client, _rolled_back_sessions, _state_for_the_test
from tests.factories import unique_slug
from tests.feeds.webhooks.conftest import FAST, webhook_app
from tests.feeds.webhooks.receiver import Receiver, serve

STRICT = replace(FAST, allow_private_targets=False)


@pytest.fixture(scope="module")
def strict_app(database_url):
    return webhook_app(database_url, STRICT)


@pytest.fixture
async def strict_client(strict_app, engine, connection, snapshot_keeper):
    with _state_for_the_test(strict_app, engine=engine, snapshot_keeper=snapshot_keeper,
                             sessionmaker=_rolled_back_sessions(connection)):
        async with _client(strict_app) as client:
            yield client


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://[::1]/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest",
    "https://192.168.0.1/", "https://localhost/hook", "https://0.0.0.0/",
])
async def test_internal_targets_are_refused_with_422(strict_client, manager, url):
    response = await strict_client.post("/v1/webhooks", headers=manager, json={"url": url, "event_types": ["*"]})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/webhook-target-refused"
    assert problem["errors"][0]["pointer"] == "/url"


async def test_plain_http_is_refused_unless_private_targets_are_allowed(strict_client, manager):
    response = await strict_client.post("/v1/webhooks", headers=manager,
                                        json={"url": "http://partner.example/hook", "event_types": ["*"]})
    assert response.status_code == 422 and "https" in response.json()["detail"]


async def test_a_name_that_resolves_to_the_loopback_is_refused_at_delivery_time_too():
    # `localhost` is a DNS name like any other here: what counts is what it resolves to, at each delivery.
    with pytest.raises(TargetRefused):
        await resolve("https://localhost:8443/hook", allow_private=False)
    async with http_client() as client:
        attempt = await send(client, "https://localhost:8443/hook", {}, b"{}", seconds=2, allow_private=False)
    assert attempt.error == "refused_target" and not attempt.succeeded


async def test_a_target_that_became_internal_is_not_sent_to(live, receiver):
    # Subscribed while allowed (as a public name could be), then delivered by a deliverer that refuses internal
    # addresses: the delivery checks again, logs the refusal and sends nothing.
    sub = await live.subscribe(receiver.url)
    await live.start(STRICT)
    await live.write_providers(unique_slug("rebind"), 1)
    for _ in range(200):
        log = (await live.client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=live.headers)).json()["data"]
        if log:
            break
        await asyncio.sleep(0.02)
    assert log[0]["error"] == "refused_target" and log[0]["status_code"] is None
    assert receiver.received == []


async def test_redirects_are_never_followed(live, receiver):
    elsewhere = Receiver()
    server = serve(elsewhere)
    try:
        receiver.behaviour = lambda n, path: (307, 0.0)
        receiver.extra_headers = {"Location": elsewhere.url + "/stolen"}
        sub = await live.subscribe(receiver.url)
        await live.start()
        await live.write_providers(unique_slug("redirect"), 1)
        await live.until(receiver, lambda: len(receiver.received) >= 2)
        log = (await live.read_when(f"/v1/webhooks/{sub['id']}/deliveries",
                                    lambda body: len(body["data"]) >= 2))["data"]
        assert {entry["status_code"] for entry in log} == {307} and not any(e["succeeded"] for e in log)
        assert elsewhere.received == []
    finally:
        server.shutdown()
        server.server_close()


async def test_the_answer_read_is_capped_at_64_kib_and_its_first_kib_is_kept():
    class Huge(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(500)
            self.send_header("Content-Length", str(10**12))  # an endless answer: reading it all never ends
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"x" * 1000)
            except OSError:
                pass  # the sender stopped reading at 64 KiB and closed

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Huge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        async with http_client() as client:
            attempt = await send(client, f"http://127.0.0.1:{server.server_address[1]}/", {}, json.dumps({}).encode(),
                                 seconds=5, allow_private=True)
        # Not a timeout: the sender stopped at 64 KiB and went on.
        assert attempt.status_code == 500 and attempt.error == "http_status" and attempt.excerpt == "x" * 1024
    finally:
        server.shutdown()
        server.server_close()
