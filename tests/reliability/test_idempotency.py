"""Idempotency-Key on POST: a retry replays the first answer byte for byte; misuse is refused clearly."""

from __future__ import annotations

import hashlib
import uuid

import httpx
from sqlalchemy import text

from tests.factories import unique_slug


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


async def test_a_retry_with_the_same_key_replays_the_first_response_and_creates_nothing_more(client, writer):
    headers = {**writer, **key()}
    body = {"id": unique_slug("idem"), "name": "Once"}
    first = await client.post("/v1/providers", json=body, headers=headers)
    again = await client.post("/v1/providers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    # Without the key, the same body is a second create: a 409, proving the replay did not run it again.
    assert (await client.post("/v1/providers", json=body, headers=writer)).status_code == 409


async def test_the_same_key_with_another_request_is_a_422(client, writer):
    headers = {**writer, **key()}
    await client.post("/v1/providers", json={"id": unique_slug("idem"), "name": "A"}, headers=headers)
    other = await client.post("/v1/providers", json={"id": unique_slug("idem"), "name": "B"}, headers=headers)
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-key-reused"
    assert [error["field"] for error in other.json()["errors"]] == ["Idempotency-Key"]


async def test_a_retry_while_the_first_request_is_in_flight_is_a_409(client, engine, writer):
    headers = {**writer, **key()}
    body = b'{"id": "in-flight-corp", "name": "x"}'
    fingerprint = hashlib.sha256(b"\0".join([b"/v1/providers", b"", body])).digest()
    async with engine.begin() as connection:  # what a first request still running leaves behind
        await connection.execute(text(
            "INSERT INTO idempotency_keys (principal, key, request_hash) VALUES (:p, :k, :h)"),
            {"p": hashlib.sha256(headers["Authorization"].encode()).digest(), "k": headers["Idempotency-Key"],
             "h": fingerprint})
    response = await client.post("/v1/providers", content=body,
                                 headers={**headers, "content-type": "application/json"})
    assert response.status_code == 409 and response.headers["retry-after"]
    assert response.json()["type"] == "/problems/idempotency-key-in-flight"


async def test_keys_belong_to_their_caller(client, writer, session):
    from service.auth.keys import create_key

    _, other_secret = await create_key(session, "other", ["catalog:write"])
    await session.flush()
    shared = key()
    first = await client.post("/v1/providers", json={"id": unique_slug("idem"), "name": "A"},
                              headers={**writer, **shared})
    second = await client.post("/v1/providers", json={"id": unique_slug("idem"), "name": "B"},
                               headers={"Authorization": f"Bearer {other_secret}", **shared})
    assert first.status_code == second.status_code == 201


async def test_estimates_replay_too_even_after_the_catalog_changes(client):
    headers = key()
    body = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000}
    first = await client.post("/v1/estimate", json=body, headers=headers)
    again = await client.post("/v1/estimate", json=body, headers=headers)
    assert first.status_code == 200 and again.content == first.content


def test_a_retry_the_moment_the_answer_arrives_finds_the_key_settled(served_url):
    # Over a real connection the client has the answer as soon as its last byte is sent: the key must be stored
    # (or, for a refused request, released) before then, or a quick retry meets a 409, or a 500 mid-claim.
    bad = {"model": "gpt-4.1", "input_tokens": -1, "output_tokens": 1}
    good = {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "at": "2026-05-10"}
    with httpx.Client(base_url=served_url, timeout=10) as client:
        refused = [client.post("/v1/estimate", json=bad, headers={"Idempotency-Key": "settled-bad"}).status_code
                   for _ in range(150)]
        answered = [client.post("/v1/estimate", json=good, headers={"Idempotency-Key": "settled-good"})
                    for _ in range(150)]
    assert set(refused) == {422}
    assert {response.status_code for response in answered} == {200}
    assert all(response.headers.get("idempotent-replayed") == "true" for response in answered[1:])
