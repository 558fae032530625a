"""What one connection may cost: header size and count, and deadlines for slow clients (issue 15, items 1 and 2).

Served by a real uvicorn with the options `serve` uses, over raw sockets, since no HTTP client sends such requests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from service.cli.main import uvicorn_options
from service.http.app import create_app
from service.http.server import GuardedHttpToolsProtocol, ServerLimits
from service.settings import Settings

ESTIMATE = "/v1/estimate?model=deepseek-v4-flash&input_tokens=1&output_tokens=1"


@pytest.fixture(scope="module")
def server(database_url: str, engine) -> Iterator[tuple[str, int]]:
    limits = ServerLimits(max_header_bytes=8192, max_headers=20, header_timeout=1.0, body_timeout=1.0)
    protocol = type("SmallLimits", (GuardedHttpToolsProtocol,), {"limits": limits})
    settings = Settings(database_url=database_url, load_seed=False, rate_limit_public="1000000/minute")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = {**uvicorn_options(settings), "http": protocol, "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).raise_for_status()
            break
        time.sleep(0.1)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(address: tuple[str, int], request: bytes, wait: float = 5.0) -> bytes:
    with socket.create_connection(address, timeout=wait) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(request)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
        return answer


def test_the_options_serve_uses_bound_every_connection():
    options = uvicorn_options(Settings())
    assert issubclass(options["http"], GuardedHttpToolsProtocol)
    assert options["timeout_keep_alive"] == 5.0 and options["limit_concurrency"] == 10_000
    assert dataclasses.astuple(GuardedHttpToolsProtocol.limits) == (65_536, 100, 10.0, 30.0)


def test_headers_over_the_byte_limit_are_a_431_without_reading_them_all(server):
    # 1 MB of header: refused once the limit is passed, not after all of it arrived.
    head = b"GET /health/live HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    assert _exchange(server, head).startswith(b"HTTP/1.1 431 ")


def test_one_header_line_over_the_limit_in_a_single_packet_is_a_431(server):
    head = b"GET /health/live HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 9000 + b"\r\n\r\n"
    assert _exchange(server, head).startswith(b"HTTP/1.1 431 ")


def test_more_headers_than_the_count_limit_are_a_431(server):
    many = b"".join(b"x-h%d: 1\r\n" % n for n in range(30))
    assert _exchange(server, b"GET /health/live HTTP/1.1\r\nhost: x\r\n" + many + b"\r\n").startswith(b"HTTP/1.1 431 ")


def test_headers_within_the_limits_are_served(server):
    answer = _exchange(server, b"GET /health/live HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_client_sending_its_headers_byte_by_byte_is_dropped_at_the_header_deadline(server):
    started = time.monotonic()
    with socket.create_connection(server, timeout=10) as sock:
        answer = b""
        with contextlib.suppress(OSError):
            for byte in b"GET /health/live HTTP/1.1\r\nhost: x\r\nx-slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)  # each byte well within any idle timer: only a deadline for the whole can end it
                if sock.recv(1024, socket.MSG_DONTWAIT) if _readable(sock) else b"":
                    break
        with contextlib.suppress(OSError):
            answer = sock.recv(1024)
    assert time.monotonic() - started < 4
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")


def _readable(sock: socket.socket) -> bool:
    import select

    return bool(select.select([sock], [], [], 0)[0])


def test_a_connection_that_sends_nothing_is_closed(server):
    with socket.create_connection(server, timeout=5) as sock:
        started = time.monotonic()
        answer = sock.recv(1024)
    assert time.monotonic() - started < 3 and (answer == b"" or answer.startswith(b"HTTP/1.1 408 "))


def test_a_body_that_stops_coming_is_dropped_at_the_body_deadline(server):
    head = (b"POST /v1/estimate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
            b'{"model": ')
    started = time.monotonic()
    answer = _exchange(server, head)
    assert time.monotonic() - started < 4 and (answer == b"" or b" 408 " in answer.split(b"\r\n")[0])


def test_a_normal_client_is_served_while_slow_ones_hold_connections(server):
    slow = [socket.create_connection(server) for _ in range(2000)]
    try:
        for sock in slow:
            sock.sendall(b"GET /health/live HTTP/1.1\r\nhost: x\r\n")  # and never the rest
        with httpx.Client(base_url=f"http://{server[0]}:{server[1]}", timeout=5) as client:
            assert all(client.get(ESTIMATE).status_code == 200 for _ in range(20))
    finally:
        for sock in slow:
            sock.close()
