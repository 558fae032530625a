"""Idempotency-Key on every POST, with Stripe's semantics.

The first request with a key runs and its response is stored; a retry with the same key and the same request
gets that response again, byte for byte (with `Idempotent-Replayed: true`); the same key with another request
is a 422; a retry while the first is still running is a 409. Keys are scoped to the caller (the id of the API
key the route checked, else the client's address: service.http.access.caller_identity) and kept 24 hours.
Only successful answers are stored: a refused or failed request can be corrected and retried with the same key.

Hand-written (run by service.http.edge for a POST with the header) because it must see the raw request body and
the final response bytes.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import msgspec
from litestar.types import ASGIApp, HTTPRequestEvent, HTTPResponseStartEvent, Message, Receive, Scope, Send
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.decoding import body_limit
from service.api.operations import KEY_HEADER
from service.api.problems import IdempotencyKeyInvalid, IdempotencyKeyReused, ProblemError
from service.http.problem_responses import is_database_down

log = logging.getLogger("service.idempotency")

HEADER = b"idempotency-key"
KEEP = "24 hours"
# A request still "in flight" after this long died with its process; its key may be taken over.
ABANDONED = "2 minutes"
_SKIPPED_HEADERS = {b"date", b"server", b"content-length", b"ratelimit", b"ratelimit-policy"}


async def run_idempotently(app: ASGIApp, scope: Scope, receive: Receive, send: Send, key: bytes,
                           caller: str) -> None:
    """Run a POST that carries an Idempotency-Key: replay what that key answered before, or answer and keep it."""
    if not 1 <= len(key) <= 255:
        raise IdempotencyKeyInvalid(f"{KEY_HEADER} must be 1 to 255 characters", KEY_HEADER)
    body = await _read_body(receive, body_limit(scope))
    principal = principal_of(caller)
    fingerprint = hashlib.sha256(b"\0".join([scope["path"].encode(), scope.get("query_string", b""), body])).digest()
    engine: AsyncEngine = scope["app"].state.engine
    stored = await _claim(engine, principal, key.decode("latin-1"), fingerprint)
    if stored is not None:
        await _replay(send, stored)
        return
    await _run_and_store(app, scope, body, send, engine, principal, key.decode("latin-1"))


def principal_of(caller: str) -> bytes:
    """The namespace of a caller's keys: `key:ID` for a checked API key, `ip:ADDRESS` for an anonymous caller."""
    return hashlib.sha256(caller.encode()).digest()


async def _run_and_store(
    app: ASGIApp, scope: Scope, body: bytes, send: Send, engine: AsyncEngine, principal: bytes, key: str
) -> None:
    response: dict[str, Any] = {"headers": [], "body": b""}
    last: list[Message] = []  # the final body message, held until the key is stored or released

    async def replay_body() -> HTTPRequestEvent:
        return {"type": "http.request", "body": body, "more_body": False}

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            response["status"] = message["status"]
            response["headers"] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                                   if k.lower() not in _SKIPPED_HEADERS]
        elif message["type"] == "http.response.body":
            response["body"] += message.get("body", b"")
            if not message.get("more_body", False):
                # A client may retry with the same key the moment it has the answer: the key must be settled
                # first, or that retry finds it still in flight (a 409) or gone halfway through its claim.
                last.append(message)
                return
        await send(message)

    try:
        await app(scope, replay_body, capture)
    except BaseException:
        await _release(engine, principal, key)
        raise
    try:
        if response.get("status", 500) < 400:
            await _store(engine, principal, key, response)
        else:
            # As at Stripe, a request that was refused (or failed) is not remembered: fix it, retry with the key.
            await _release(engine, principal, key)
    except Exception as exc:
        # The answer has begun and is right; only its key could not be settled (the database went away since).
        # The key then frees itself after ABANDONED. Failing the answer now would turn a success into a 500.
        if not is_database_down(exc):
            raise
        log.warning("could not settle Idempotency-Key after answering: %r", exc)
    for message in last:
        await send(message)


async def _read_body(receive: Receive, limit: int | None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunks.append(message.get("body", b"") if message["type"] == "http.request" else b"")
        size += len(chunks[-1])
        if limit is not None and size > limit:
            raise ProblemError(413, "request-too-large", "Request too large",
                               f"the request body is over {limit} bytes")
        if not message.get("more_body"):
            return b"".join(chunks)


async def _claim(engine: AsyncEngine, principal: bytes, key: str, fingerprint: bytes) -> dict[str, Any] | None:
    """Take the key for this request (None), or return what an earlier request with it left."""
    async with engine.begin() as connection:
        await connection.execute(text(
            "DELETE FROM idempotency_keys WHERE principal = :p AND key = :k AND ("
            f"created_at < now() - interval '{KEEP}' "
            f"OR (status IS NULL AND created_at < now() - interval '{ABANDONED}'))"
        ), {"p": principal, "k": key})
        row = None
        while row is None:
            claimed = await connection.scalar(text(
                "INSERT INTO idempotency_keys (principal, key, request_hash) VALUES (:p, :k, :h) "
                "ON CONFLICT DO NOTHING RETURNING 1"), {"p": principal, "k": key, "h": fingerprint})
            if claimed:
                return None
            # None when the holder released the key between our insert and this read: claim it again.
            row = (await connection.execute(text(
                "SELECT request_hash, status, headers::text, body FROM idempotency_keys "
                "WHERE principal = :p AND key = :k"), {"p": principal, "k": key})).one_or_none()
    if row.request_hash != fingerprint:
        reused = "this Idempotency-Key was used with a different request; use a new key for a new request"
        raise IdempotencyKeyReused(reused, KEY_HEADER)
    if row.status is None:
        raise ProblemError(409, "idempotency-key-in-flight", "Request in progress",
                           "a request with this Idempotency-Key is still being processed; retry shortly",
                           headers={"Retry-After": "1"})
    return {"status": row.status, "headers": msgspec.json.decode(row.headers), "body": row.body}


async def _store(engine: AsyncEngine, principal: bytes, key: str, response: dict[str, Any]) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(
            "UPDATE idempotency_keys SET status = :s, headers = CAST(:h AS jsonb), body = :b "
            "WHERE principal = :p AND key = :k"),
            {"s": response["status"], "h": msgspec.json.encode(response["headers"]).decode(), "b": response["body"],
             "p": principal, "k": key})


async def _release(engine: AsyncEngine, principal: bytes, key: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM idempotency_keys WHERE principal = :p AND key = :k"),
                                 {"p": principal, "k": key})


async def _replay(send: Send, stored: dict[str, Any]) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["headers"]]
    headers += [(b"idempotent-replayed", b"true"), (b"content-length", str(len(stored["body"])).encode())]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": stored["status"], "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": stored["body"], "more_body": False})
