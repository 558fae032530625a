"""POST /v1/estimate, its batch and /v1/estimate/project answered straight over ASGI, without Litestar's per-request
machinery.

Why by hand: frontends call this on every keystroke. Profiled under load, Litestar's per-request work for a route
(kwargs extraction, the signature model, the Response object and its rendering) cost about a fifth of an
estimate's server time, more than the estimate itself; no setting turns it off for one route.

This entry only reads the body and sends the answer: service/estimates/answers.py makes every answer, problems
included, and the routes in service/estimates/routes.py, which document the endpoints and answer them when the
edge runs the app itself (a POST with an Idempotency-Key), call the same functions. So both give the same status,
headers and bytes (tests/estimates/test_fast_path.py).
"""

from __future__ import annotations

from litestar.types import Receive, Scope, Send

from service.api.decoding import body_limit
from service.estimates.answers import Answer, Answering, AsOf, answer_estimate, body_too_large
from service.estimates.as_of import answer_as_of
from service.estimates.batch_process import SpooledAnswer
from service.estimates.heavy_posts import HeavyAnswering, answer_batch_post, answer_project_post
from service.estimates.spool import PIECE, SpooledBody
from service.snapshot.keeper import SnapshotKeeper


async def estimate(scope: Scope, receive: Receive, send: Send) -> None:
    await _answer(scope, receive, send, answer_estimate)


async def batch(scope: Scope, receive: Receive, send: Send) -> None:
    await _answer(scope, receive, send, None, answer_batch_post)  # off the event loop: see heavy_posts.py


async def project(scope: Scope, receive: Receive, send: Send) -> None:
    await _answer(scope, receive, send, None, answer_project_post)  # many offerings: off the loop (heavy_posts.py)


ROUTES = {"/v1/estimate": estimate, "/v1/estimate/batch": batch, "/v1/estimate/project": project}


async def _answer(scope: Scope, receive: Receive, send: Send, answering: Answering | None,
                  heavy: HeavyAnswering | None = None) -> None:
    """`answering` answers the body on the loop; without it, `heavy` answers it, off the loop where it is big."""
    answer: Answer | SpooledAnswer
    try:
        body = await _read(receive, body_limit(scope))
    except _TooLarge:
        answer = body_too_large()
    else:
        if body is None:
            return  # the client left: nobody to answer
        keeper: SnapshotKeeper = scope["app"].state.snapshot_keeper
        if not keeper.connected:
            scope["state"]["stale_snapshot"] = keeper.current
        if answering is not None:
            answered = answering(keeper.current, body)  # type: ignore[arg-type]
            # Only an estimate asked with known_at reads the database; every other answer is already made.
            answer = answered if not isinstance(answered, AsOf) else await answer_as_of(
                scope["app"].state.sessionmaker, keeper.current, answered)  # type: ignore[arg-type]
        else:
            assert heavy is not None
            answer = await heavy(scope["app"].state, keeper.current, body)  # type: ignore[arg-type]
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send_body(send, answer.body)


async def send_body(send: Send, body: bytes | SpooledBody) -> None:
    """`body`, a piece at a time when it is big. A 9 MB answer handed to the socket in one write is a few
    milliseconds of copying on the event loop, which every other request then waits for (bench.anonymous_flood);
    in pieces, the loop serves them between two, while the client takes the last one."""
    if isinstance(body, bytes) and len(body) <= PIECE:
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    try:
        pieces = body.pieces() if isinstance(body, SpooledBody) else (
            body[start:start + PIECE] for start in range(0, len(body), PIECE))
        for piece in pieces:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        if isinstance(body, SpooledBody):
            body.close()


class _TooLarge(Exception):
    """The body is over the app's size limit."""


async def _read(receive: Receive, limit: int | None) -> bytes | None:
    """The body; None when the client left before sending it all."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise _TooLarge
        if not message.get("more_body", False):
            return chunk if not chunks else b"".join([*chunks, chunk])
        chunks.append(chunk)
