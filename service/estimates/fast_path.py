"""POST /v1/estimate's and /v1/estimate/batch's successful answers, made without Litestar's per-request machinery.

Why by hand: frontends call this on every keystroke, and the issue's goal is 0.8 of a bare Litestar endpoint's
throughput. Profiled under load, Litestar's per-request work for a route (kwargs extraction, the signature
model, the Response object and its rendering) cost about a fifth of an estimate's server time, more than the
estimate itself; no setting turns it off for one route.

A batch's items are decoded straight into estimate requests here, all in one pass, instead of into dicts that are
converted one by one afterwards; an item that does not decode sends the whole batch to the route, which words
that item's problem.

Only the happy path is taken here. The routes in service/estimates/routes.py stay registered: they document the
endpoints and answer everything this declines: a request with a query string (they take none), a body that does
not decode, one over the size limit, a batch with any failing item, and every problem (unknown model, bad usage,
no price). Those get the same answers as always, from the one place that makes them. A 200 from here is byte for
byte the route's (tests/estimates/test_fast_path.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar.types import Message, Receive, Scope, Send

from service.api.problems import ProblemError
from service.estimates import schemas
from service.estimates.batch import MAX_ITEMS, estimate_batch
from service.estimates.compute import estimate_one
from service.snapshot.catalog_snapshot import CatalogSnapshot
from service.snapshot.keeper import SnapshotKeeper

_DECODER = msgspec.json.Decoder(schemas.EstimateRequest)
_ENCODER = msgspec.json.Encoder()
_DECLINED = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError, ProblemError)


class _Batch(msgspec.Struct, forbid_unknown_fields=True):
    items: list[schemas.EstimateRequest]


_BATCH_DECODER = msgspec.json.Decoder(_Batch)
Answer = Callable[[CatalogSnapshot, bytes], bytes | None]


def _estimate(snapshot: CatalogSnapshot, body: bytes) -> bytes | None:
    return _ENCODER.encode(estimate_one(snapshot, _DECODER.decode(body))[0])


def _batch(snapshot: CatalogSnapshot, body: bytes) -> bytes | None:
    items = _BATCH_DECODER.decode(body).items
    if len(items) > MAX_ITEMS:
        return None  # the route's 413
    result = estimate_batch(snapshot, items, _as_decoded)[0]
    # An item's problem is worded from the route's decoding of it: let the route answer such a batch whole.
    return None if result.failed else _ENCODER.encode(result)


def _as_decoded(item: schemas.EstimateRequest) -> schemas.EstimateRequest:
    return item


async def answer_estimate(scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """Answer a POST /v1/estimate and return None; or return a `receive` that replays the body to the route."""
    return await _answer(scope, receive, send, _estimate)


async def answer_batch(scope: Scope, receive: Receive, send: Send) -> Receive | None:
    return await _answer(scope, receive, send, _batch)


ROUTES = {"/v1/estimate": answer_estimate, "/v1/estimate/batch": answer_batch}


async def _answer(scope: Scope, receive: Receive, send: Send, answer: Answer) -> Receive | None:
    if scope.get("query_string"):
        return receive
    messages, body = await _read(receive, scope["app"].request_max_body_size)
    replay = _replayer(messages, receive)
    if body is None:
        return replay
    keeper: SnapshotKeeper = scope["app"].state.snapshot_keeper
    try:
        content = answer(keeper.current, body)  # type: ignore[arg-type]
    except _DECLINED:
        return replay
    if content is None:
        return replay
    if not keeper.connected:
        scope["state"]["stale_snapshot"] = keeper.current
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]})
    await send({"type": "http.response.body", "body": content, "more_body": False})
    return None


async def _read(receive: Receive, limit: int | None) -> tuple[list[Message], bytes | None]:
    """The messages read, and the body (None when it is over the limit or the client left: the route decides)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if limit is not None and size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def _replayer(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Any:
        return pending.pop(0) if pending else await receive()

    return replay
