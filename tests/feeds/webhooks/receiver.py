"""A real HTTP receiver on the loopback for webhook tests: it records what arrives and answers as told."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered


@dataclass
class Receiver:
    """`behaviour(n, path)` gives (status, seconds to wait first) for the n-th request (from 1)."""

    behaviour: Callable[[int, str], tuple[int, float]] = lambda n, path: (200, 0.0)
    received: list[Received] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    count: int = 0
    extra_headers: dict[str, str] = field(default_factory=dict)

    def delivered(self, path: str | None = None) -> list[Received]:
        """The requests answered 2xx, in the order they arrived."""
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300 and (path is None or r.path == path)]

    def wait_for(self, condition: Callable[[], bool], seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received {[(r.path, r.status) for r in self.received]}")
            time.sleep(0.02)


def serve(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.count += 1
                n = receiver.count
                receiver.in_flight[self.path] = receiver.in_flight.get(self.path, 0) + 1
                receiver.most_in_flight[self.path] = max(receiver.most_in_flight.get(self.path, 0),
                                                         receiver.in_flight[self.path])
            status, wait = receiver.behaviour(n, self.path)
            time.sleep(wait)
            with receiver.lock:
                receiver.in_flight[self.path] -= 1
                receiver.received.append(Received(self.path, dict(self.headers.items()), body, status))
            answer = b'{"ok": true}'
            try:
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:  # the sender gave up (a timeout): nothing to answer
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
