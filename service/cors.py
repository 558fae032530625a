"""CORS for the public surface only: estimates and catalog reads open to browsers on other origins.

Hand-written because Litestar's CORS support is one app-wide setting, and writes, quotes and feeds must not
be callable from a browser on another site.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_READ_PREFIXES = ("/v1/providers", "/v1/models", "/v1/promotions", "/v1/quotes/")
_READ_METHODS = {"GET", "HEAD"}
_ALLOW_HEADERS = "content-type, if-none-match"
_EXPOSE_HEADERS = "etag, retry-after, ratelimit, ratelimit-policy, x-request-id, x-catalog-snapshot"


def is_public(method: str, path: str) -> bool:
    if path == "/v1/estimate" or path.startswith("/v1/estimate/"):
        return method in {"GET", "HEAD", "POST"}
    return method in _READ_METHODS and path.startswith(_READ_PREFIXES)


class PublicCORSMiddleware:
    def __init__(self, app: ASGIApp, allow_origins: tuple[str, ...]) -> None:
        self.app = app
        self.any_origin = "*" in allow_origins
        self.allow_origins = frozenset(allow_origins)

    def _allowed(self, origin: str | None) -> bool:
        return bool(origin) and (self.any_origin or origin in self.allow_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read the two headers straight from the scope: this runs on every request, estimates included.
        origin = requested = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                requested = value.decode("latin-1")
        if origin is None:
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if method == "OPTIONS" and requested and self._allowed(origin) and is_public(requested.upper(), path):
            await self._preflight(send, origin or "")
            return
        if not (self._allowed(origin) and is_public(method, path)):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableScopeHeaders.from_message(message)
                out["Access-Control-Allow-Origin"] = "*" if self.any_origin else origin or ""
                out["Access-Control-Expose-Headers"] = _EXPOSE_HEADERS
                out.add("Vary", "Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, origin: str) -> None:
        headers = [
            (b"access-control-allow-origin", b"*" if self.any_origin else origin.encode("latin-1")),
            (b"access-control-allow-methods", b"GET, HEAD, POST"),
            (b"access-control-allow-headers", _ALLOW_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
