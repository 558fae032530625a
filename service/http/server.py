"""uvicorn's HTTP protocol with the limits it lacks: header size and count, and deadlines for headers and bodies.

uvicorn has no timeout on receiving a request (its keep-alive timer is reset by every byte, so a client sending
one byte at a time holds a connection forever), and httptools' header buffer cannot be bounded: a 250 MB header
was read whole. ASGI middleware cannot help, as it runs only once a request is parsed. So the httptools protocol
is extended here (the fix projects make, see PITFALLS): a request's headers must arrive within `header_timeout`
of its first byte (or of the connection's opening), its body within `body_timeout` of its headers, and its
headers may not pass `max_header_bytes` or `max_headers` (a 431, with no more read than the limit and one
network read). uvicorn's own `limit_concurrency` caps connections per process and `timeout_keep_alive` the idle
time between requests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from service.settings import Settings


@dataclass(frozen=True)
class ServerLimits:
    max_header_bytes: int
    max_headers: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> ServerLimits:
        return cls(settings.http_max_header_bytes, settings.http_max_headers, settings.http_header_timeout,
                   settings.http_body_timeout)


class _Refused(Exception):
    """Raised out of a parser callback once the connection has been answered and closed."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    # Read from the environment once per worker: uvicorn builds the protocol with its own arguments only.
    limits = ServerLimits.of(Settings.from_env())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._reading_headers = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout)  # a connection that never sends a byte is dropped too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm(self.limits.header_timeout)  # the first byte of the next request starts its clock
        try:
            self.parser.feed_data(data)
        except _Refused:
            return
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _Refused) or self.transport.is_closing():
                return
            self._refuse(400, "Invalid HTTP request received.")
            return
        except httptools.HttpParserError:
            self._refuse(400, "Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()
            return
        if self._reading_headers:
            # Every byte fed so far belongs to the headers, which are still incomplete.
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(431, "Request header fields too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers, self._header_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes or len(self.headers) > self.limits.max_headers:
            self._refuse(431, "Request header fields too large.")
            raise _Refused
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()  # the request is whole: answering it takes what it takes
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete and not self._reading_headers:
            self.cycle.disconnected = True  # a body that stopped coming: the app's receive() ends
        self._refuse(408, "Request timeout.")

    def _refuse(self, status: int, message: str) -> None:
        """Answer with `status` (unless an answer has begun) and close the connection."""
        self._disarm()
        if self.cycle is None or not self.cycle.response_started:
            body = message.encode("ascii")
            self.transport.write(b"".join([
                STATUS_LINE[status], b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body]))
        self.transport.close()
