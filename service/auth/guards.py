"""Route guards: a write needs a key with `catalog:write`, a feed one with `feeds:read`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from service.auth.keys import find_active_key
from service.problems import ProblemError, responses

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="pricing-api"'}


def requires_scope(scope: str) -> Guard:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
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

    return guard


WRITE = requires_scope("catalog:write")
FEEDS = requires_scope("feeds:read")


# Everything a catalog write route declares: the guard, its OpenAPI security requirement and its problems.
WRITE_ROUTE: dict[str, Any] = {
    "guards": [WRITE],
    "security": [{"apiKey": []}],
    "responses": responses(400, 401, 403, 404, 409, 422, 503),
}
