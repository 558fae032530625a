"""The one middleware every request passes: request id, CORS, access (keys and rate limits), idempotency, metrics.

One layer instead of four: each middleware layer and each pass over the headers costs on every request, and
together they measured at a fifth of an estimate's time at the server. The logic of each concern stays in its
own module; this file only runs them in order and adds their response headers in one place.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from service.api.problems import ProblemError
from service.http.access import check_access, settle_without_io
from service.http.cors import CorsPolicy
from service.http.idempotency import run_idempotently
from service.http.observability import REQUEST_ID, Metrics, request_id_from, state_headers
from service.http.problem_responses import send_problem
from service.pricing.errors import InputError

_WANTED = {b"origin", b"access-control-request-method", b"x-request-id", b"idempotency-key", b"authorization"}


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
        found = {name: value for name, value in scope["headers"] if name in _WANTED}
        incoming_id = found.get(b"x-request-id")
        request_id = request_id_from(incoming_id)
        token = REQUEST_ID.set(request_id)
        method, started, status = cast(HTTPScope, scope)["method"], time.perf_counter(), 500
        origin = found[b"origin"].decode("latin-1") if b"origin" in found else None
        added = self.cors.response_headers(origin, method, scope["path"])

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [*added, *state_headers(scope)]
                # The id goes back on every error, and on any answer whose caller sent one. Not on every
                # success: uvicorn checks each response header in Python, and this one alone measured at 7% of
                # the estimate throughput. Every log line carries the id either way.
                if status >= 400 or incoming_id is not None:
                    extra.append((b"x-request-id", request_id.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            if method == "OPTIONS":
                requested = found.get(b"access-control-request-method")
                if await self.cors.answer_options(scope, send_with_headers, origin,
                                                  requested.decode("latin-1") if requested else None):
                    return
            if not settle_without_io(scope):
                await check_access(scope)
            key = found.get(b"idempotency-key")
            # An answer that holds a secret (a webhook's signing secret) is never kept for replay: it would lie in
            # the database in plain text for a day. Such routes say so in `opt`, and ignore the header.
            if key is not None and method == "POST" and not scope["route_handler"].opt.get("answers_secret"):
                await run_idempotently(self.app, scope, receive, send_with_headers, key,
                                       found.get(b"authorization", b""))
                return
            if method == "POST" and (fast := self.fast_posts.get(scope["path"])) is not None:
                await fast(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        except (ProblemError, InputError) as exc:
            # Answered here, not by the app's exception handlers, so the problem carries the same headers.
            await send_problem(send_with_headers, exc)
        finally:
            metrics: Metrics = scope["app"].state.metrics
            metrics.record(method, scope.get("path_template") or "unmatched", status, time.perf_counter() - started)
            REQUEST_ID.reset(token)
