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
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.types import HTTPResponseStartEvent, Scope, Send

_READ_PREFIXES = ("/v1/providers", "/v1/models", "/v1/promotions", "/v1/quotes/")
_READ_METHODS = {"GET", "HEAD"}
_ALLOW_HEADERS = "content-type, if-none-match"
_EXPOSE_HEADERS = "etag, retry-after, ratelimit, ratelimit-policy, x-request-id, x-catalog-snapshot"


def is_public(method: str, path: str) -> bool:
    if path == "/v1/estimate" or path.startswith("/v1/estimate/"):
        return method in {"GET", "HEAD", "POST"}
    return method in _READ_METHODS and path.startswith(_READ_PREFIXES)


class CorsPolicy:
    """Which browser origins may call the public surface, and the headers that tell them so."""

    def __init__(self, allow_origins: tuple[str, ...]) -> None:
        self.any_origin = "*" in allow_origins
        self.allow_origins = frozenset(allow_origins)

    def allowed(self, origin: str | None) -> bool:
        return bool(origin) and (self.any_origin or origin in self.allow_origins)

    def response_headers(self, origin: str | None, method: str, path: str) -> list[tuple[bytes, bytes]]:
        if origin is None or not (self.allowed(origin) and is_public(method, path)):
            return []
        return [(b"access-control-allow-origin", b"*" if self.any_origin else origin.encode("latin-1")),
                (b"access-control-expose-headers", _EXPOSE_HEADERS.encode()), (b"vary", b"Origin")]

    async def answer_options(self, scope: Scope, send: Send, origin: str | None, requested: str | None) -> bool:
        """Answer an OPTIONS request (a CORS preflight, or a plain one); False when there is no such route."""
        path = scope["path"]
        if requested and self.allowed(origin) and is_public(requested.upper(), path):
            await _empty_204(send, [
                (b"access-control-allow-origin", b"*" if self.any_origin else (origin or "").encode("latin-1")),
                (b"access-control-allow-methods", b"GET, HEAD, POST"),
                (b"access-control-allow-headers", _ALLOW_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
            ])
            return True
        if (allow := _allowed_methods(scope, path)) is not None:
            await _empty_204(send, [(b"allow", allow.encode())])
            return True
        return False


async def _empty_204(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 204,
                                     "headers": [*headers, (b"content-length", b"0")]}
    await send(start)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


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
