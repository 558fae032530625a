"""The outermost ASGI layer, around Litestar's router: what must hold for every answer, routed or not.

Litestar runs app middleware (service.http.edge) only on a request its router matched, so a 404 or a 405 never
passes there. This layer wraps the router itself (`Litestar.asgi_handler`): it finds the client's address behind trusted proxies, and answers `HEAD`
as HTTP says.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.http.forwarded import ForwardedClient


class Front:
    def __init__(self, app: ASGIApp, forwarded: ForwardedClient) -> None:
        self.app = app
        self.forwarded = forwarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.forwarded.resolve(scope)
        if scope["method"] == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))  # type: ignore[typeddict-item]
            return
        await self.app(scope, receive, send)


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
