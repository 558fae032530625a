"""The one middleware every routed request passes: CORS, access (keys and rate limits), idempotency.

The request id, the access log and the metrics are service.http.front's, which also sees unrouted requests.

One layer instead of four: each middleware layer and each pass over the headers costs on every request, and
together they measured at a fifth of an estimate's time at the server. The logic of each concern stays in its
own module; this file only runs them in order and adds their response headers in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from service.api.problems import ProblemError
from service.http.access import caller_identity, check_access, settle_without_io
from service.http.cors import CorsPolicy
from service.http.idempotency import run_idempotently
from service.http.media import check_body_media_type
from service.http.observability import state_headers
from service.http.problem_responses import send_problem
from service.pricing.errors import InputError

_WANTED = {b"origin", b"access-control-request-method", b"idempotency-key", b"authorization",
           b"content-type", b"content-length", b"transfer-encoding"}

# Headers that decide who the caller is or which stored answer it gets: sent twice, one reader (the key check)
# could take the first and another (idempotency) the last, so that a request runs as one key and replays
# another's answer. Such a request is refused whole.
_ONCE = {b"authorization", b"idempotency-key", b"content-type", b"content-length"}


def repeated_header(name: bytes) -> ProblemError:
    return ProblemError(400, "malformed-request", "Malformed request",
                        f"the {name.decode('latin-1').title()} header is sent more than once: send it once")


FastPost = Callable[[Scope, Receive, Send], Awaitable[None]]


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, cors: CorsPolicy, fast_posts: Mapping[str, FastPost] | None = None) -> None:
        self.app = app
        self.cors = cors
        # POST paths answered straight over ASGI, every outcome included (service/estimates/fast_path.py says why).
        self.fast_posts = dict(fast_posts or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found: dict[bytes, bytes] = {}
        repeated = None
        for name, value in scope["headers"]:
            if name in _WANTED:
                if name in _ONCE and name in found:
                    repeated = name
                found[name] = value
        method = cast(HTTPScope, scope)["method"]
        origin = found[b"origin"].decode("latin-1") if b"origin" in found else None
        added = self.cors.response_headers(origin, method, scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *added, *state_headers(scope)]
            await send(message)

        try:
            if repeated is not None:
                raise repeated_header(repeated)
            if method == "OPTIONS":
                requested = found.get(b"access-control-request-method")
                if await self.cors.answer_options(scope, send_with_headers, origin,
                                                  requested.decode("latin-1") if requested else None):
                    return
            if not settle_without_io(scope):
                await check_access(scope)
            check_body_media_type(method, found.get(b"content-type"), found.get(b"content-length"),
                                  b"transfer-encoding" in found)
            key = found.get(b"idempotency-key")
            # An answer that holds a secret (a webhook's signing secret) is never kept for replay: it would lie in
            # the database in plain text for a day. Such routes say so in `opt`, and ignore the header.
            if key is not None and method == "POST" and not scope["route_handler"].opt.get("answers_secret"):
                await run_idempotently(self.app, scope, receive, send_with_headers, key, caller_identity(scope))
                return
            if method == "POST" and (fast := self.fast_posts.get(scope["path"])) is not None:
                await fast(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        except (ProblemError, InputError) as exc:
            # Answered here, not by the app's exception handlers, so the problem carries the same headers.
            await send_problem(send_with_headers, exc)
