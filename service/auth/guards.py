"""One app-wide guard: API-key scopes where a route asks for one, and a rate limit on every API call.

Routes say what they need in `opt`: `scope` (catalog:write, feeds:read) and `rate_limit` (the policy name;
None exempts the route). Calls with a key are limited per key, anonymous ones per client address.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import Message, Scope

from service.auth.keys import find_active_key
from service.problems import ProblemError, responses
from service.ratelimit import RateLimiter

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="pricing-api"'}
_EXEMPT_PREFIXES = ("/schema",)


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    scope_needed = handler.opt.get("scope")
    policy = handler.opt.get("rate_limit", "public")
    identity = f"ip:{connection.client.host if connection.client else 'unknown'}"
    if scope_needed:
        key_id = await _authenticate(connection, scope_needed)
        identity = f"key:{key_id}"
    if policy is None or connection.scope["path"].startswith(_EXEMPT_PREFIXES):
        return
    limiter: RateLimiter = connection.app.state.rate_limiter
    connection.state.rate_limit = await limiter.check(policy, identity)


async def _authenticate(connection: ASGIConnection[Any, Any, Any, Any], scope: str) -> int:
    header = connection.headers.get("authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ProblemError(401, "unauthorized", "Unauthorized",
                           f"this call needs an API key with scope {scope}: send 'Authorization: Bearer <key>'",
                           headers=_CHALLENGE)
    async with connection.app.state.sessionmaker() as session:
        key = await find_active_key(session, secret.strip())
    if key is None:
        raise ProblemError(401, "unauthorized", "Unauthorized", "the API key is unknown or revoked",
                           headers=_CHALLENGE)
    if scope not in key.scopes:
        raise ProblemError(403, "forbidden", "Forbidden", f"the API key lacks the scope {scope}")
    connection.state.api_key_id = key.id
    return key.id


async def send_state_headers(message: Message, scope: Scope) -> None:
    """before_send hook: the rate-limit budget left, and a warning when estimates come from a stale snapshot."""
    if message["type"] != "http.response.start":
        return
    state = scope.get("state", {})
    extra: dict[str, str] = {}
    if (verdict := state.get("rate_limit")) is not None:
        extra.update(verdict.headers)
    if (snapshot := state.get("stale_snapshot")) is not None:
        # The database is unreachable: the answer comes from the catalog as last loaded.
        extra["X-Catalog-Snapshot"] = f"stale; loaded_at={snapshot.loaded_at.isoformat()}"
    if extra:
        message["headers"] = [*message.get("headers", []),
                              *((name.lower().encode(), value.encode()) for name, value in extra.items())]


# What catalog write and feed routes declare: the scope, their limit, the OpenAPI security and problems.
WRITE_ROUTE: dict[str, Any] = {
    "opt": {"scope": "catalog:write", "rate_limit": "write"},
    "security": [{"apiKey": []}],
    "responses": responses(400, 401, 403, 404, 409, 422, 429, 503),
}
CHANGE_ROUTE: dict[str, Any] = {  # PATCH and DELETE, which also honour If-Match
    **WRITE_ROUTE, "responses": responses(400, 401, 403, 404, 409, 412, 422, 429, 503),
}
FEED_ROUTE: dict[str, Any] = {
    "opt": {"scope": "feeds:read", "rate_limit": "feeds"},
    "security": [{"apiKey": []}],
    "responses": responses(401, 403, 422, 429, 503),
}
UNLIMITED: dict[str, Any] = {"rate_limit": None}
