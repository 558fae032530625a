"""The outermost ASGI layer, around Litestar's router: what must hold for every answer, routed or not.

Litestar runs app middleware (service.http.edge) only on a request its router matched, so a 404 or a 405 never
passes there. This layer wraps the router itself (`Litestar.asgi_handler`): it finds the client's address behind
trusted proxies, gives every request its id (sent back on every answer), answers `HEAD` as HTTP says, and
writes one access log line and the request metrics per request.
"""

from __future__ import annotations

import logging
import time
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from service.http.forwarded import ForwardedClient
from service.http.observability import REQUEST_ID, ROUTE, Metrics, request_id_from

access_log = logging.getLogger("service.access")
_NOSNIFF = (b"x-content-type-options", b"nosniff")
# For HTML answers that set no policy of their own (the estimator page sets a stricter one): scripts and
# everything else from this origin only, never inline; Swagger UI sets inline styles, so styles may be inline.
_HTML_HEADERS = {
    b"content-security-policy": b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                b"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    b"referrer-policy": b"no-referrer",
}


class Front:
    def __init__(self, app: ASGIApp, forwarded: ForwardedClient) -> None:
        self.app = app
        self.forwarded = forwarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.forwarded.resolve(scope)
        incoming = next((value for name, value in scope["headers"] if name == b"x-request-id"), None)
        request_id = request_id_from(incoming)
        id_header = (b"x-request-id", request_id.encode())
        tokens = REQUEST_ID.set(request_id), ROUTE.set(scope["path"])
        method, started, status = cast(HTTPScope, scope)["method"], time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_security_headers([*message.get("headers", []), id_header])
            await send(message)

        inner: Scope = scope
        try:
            if method == "HEAD":
                inner = {**scope, "method": "GET"}  # type: ignore[assignment]
                await self.app(inner, receive, _without_body(send_with_id))
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = inner.get("path_template") or "unmatched"
            metrics: Metrics = scope["app"].state.metrics
            metrics.record(method, route, status, seconds)
            ROUTE.set(route)
            access_log.info("%s %s %d", method, route, status,
                            extra={"method": method, "status": status, "duration_ms": round(seconds * 1000, 3)})
            REQUEST_ID.reset(tokens[0])
            ROUTE.reset(tokens[1])


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """nosniff on every answer; a CSP and a Referrer-Policy on every HTML answer (unless it has its own)."""
    names = {name.lower() for name, _ in headers}
    if b"x-content-type-options" not in names:
        headers.append(_NOSNIFF)
    if any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers):
        headers += [(name, value) for name, value in _HTML_HEADERS.items() if name not in names]
    return headers


def _without_body(send: Send) -> Send:
    """HEAD is GET without the body (RFC 9110, 9.3.2): same status and headers, Content-Length included.

    Litestar routes a GET handler for GET only; rather than declare HEAD on every route, a HEAD is run as its
    GET and the body is dropped on the way out.
    """

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_head
