"""CORS for the public surface only (estimates and catalog reads open to browsers on other origins), and the
answer to plain OPTIONS requests.

Hand-written because Litestar's CORS support is one app-wide setting, and writes, quotes and feeds must not
be callable from a browser on another site. Litestar's own OPTIONS answer lists only the methods of the last
handler registered on a path (`Allow: DELETE, OPTIONS` on a path that also has GET and PATCH), so OPTIONS is
answered here from the app's route map.
"""

from __future__ import annotations

import re
from functools import cache

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import MethodNotAllowedException, NotFoundException
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
        path, method = scope["path"], scope["method"]
        if method == "OPTIONS":
            if requested and self._allowed(origin) and is_public(requested.upper(), path):
                await self._preflight(send, origin or "")
                return
            if (allow := _allowed_methods(scope, path)) is not None:
                await _empty_204(send, [(b"allow", allow.encode())])
                return
        if origin is None:
            await self.app(scope, receive, send)
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
        await _empty_204(send, [
            (b"access-control-allow-origin", b"*" if self.any_origin else origin.encode("latin-1")),
            (b"access-control-allow-methods", b"GET, HEAD, POST"),
            (b"access-control-allow-headers", _ALLOW_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
        ])


async def _empty_204(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": [*headers, (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def _allowed_methods(scope: Scope, path: str) -> str | None:
    """The methods of the route at `path` (None when there is none), from the app's own route map."""
    app = scope["app"]
    try:
        template = app.asgi_router.handle_routing(path, "OPTIONS")[4]
    except (NotFoundException, MethodNotAllowedException):
        return None
    methods = _methods_by_template(app).get(template)
    return None if methods is None else ", ".join(methods)


@cache
def _methods_by_template(app: Litestar) -> dict[str, list[str]]:
    # The map's keys carry parameter types ("{model_id:str}"); the router reports templates without them.
    return {re.sub(r":\w+}", "}", path): sorted(methods) for path, methods in app.route_handler_method_map.items()}
