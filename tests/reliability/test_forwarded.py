"""Forwarded headers decide the client's address only from the proxies in TRUSTED_PROXIES (issue 15, item 13).

Served by a real uvicorn with the options `serve` uses: uvicorn's own proxy handling is part of what is tested.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from service.cli.main import uvicorn_options
from service.http.app import create_app
from service.http.forwarded import parse_networks
from service.settings import Settings

ESTIMATE = "/v1/estimate?model=deepseek-v4-flash&input_tokens=1&output_tokens=1"


@contextlib.contextmanager
def served(database_url: str, **settings: object) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app_settings = Settings(database_url=database_url, load_seed=False, rate_limit_public="1/minute", **settings)
    server = uvicorn.Server(uvicorn.Config(create_app(app_settings), host="127.0.0.1", port=port,
                                           **uvicorn_options(app_settings)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{url}/health/live", timeout=1).raise_for_status()
            break
        time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def statuses(url: str, *forwarded: dict[str, str]) -> list[int]:
    with httpx.Client(base_url=url, timeout=10) as client:
        return [client.get(ESTIMATE, headers=headers).status_code for headers in forwarded]


@pytest.mark.parametrize("header", ["x-forwarded-for", "forwarded"])
def test_by_default_no_forwarded_header_chooses_the_rate_limit_identity(database_url, engine, header):
    value = (lambda address: f"for={address}") if header == "forwarded" else (lambda address: address)
    with served(database_url) as url:
        # From 127.0.0.1, each with another claimed address: one client all the same, limited after one call.
        assert statuses(url, {header: value("198.51.100.1")}, {header: value("198.51.100.2")}) == [200, 429]


def test_a_trusted_proxy_forwards_the_client_address_in_either_header(database_url, engine):
    with served(database_url, trusted_proxies=("127.0.0.0/8",)) as url:
        first = statuses(url, {"forwarded": 'for="198.51.100.1:5000";proto=https'},
                         {"x-forwarded-for": "198.51.100.2"}, {"forwarded": "for=198.51.100.1"})
    assert first == [200, 200, 429]


def test_a_client_cannot_hide_behind_an_address_it_writes_left_of_the_proxy(database_url, engine):
    # The proxy appends the address it saw (203.0.113.5); what the client wrote before it is not believed.
    with served(database_url, trusted_proxies=("127.0.0.1",)) as url:
        assert statuses(url, {"x-forwarded-for": "10.0.0.1, 203.0.113.5"},
                        {"x-forwarded-for": "10.0.0.2, 203.0.113.5"},
                        {"forwarded": 'for=10.0.0.3, for="203.0.113.5"'}) == [200, 429, 429]


def test_an_address_that_is_not_a_network_is_refused_at_start():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "proxy.internal"])
