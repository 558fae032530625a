"""Idempotency-Key on POST: a retry replays the first answer byte for byte; misuse is refused clearly."""

from __future__ import annotations

import hashlib
import uuid

import httpx
from sqlalchemy import text

from service.auth.keys import find_active_key
from service.http.idempotency import principal_of
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


async def test_a_retry_while_the_first_request_is_in_flight_is_a_409(client, engine, session, writer):
    headers = {**writer, **key()}
    body = b'{"id": "in-flight-corp", "name": "x"}'
    fingerprint = hashlib.sha256(b"\0".join([b"/v1/providers", b"", body])).digest()
    api_key = await find_active_key(session, headers["Authorization"].removeprefix("Bearer "))
    async with engine.begin() as connection:  # what a first request still running leaves behind
        await connection.execute(text(
            "INSERT INTO idempotency_keys (principal, key, request_hash) VALUES (:p, :k, :h)"),
            {"p": principal_of(f"key:{api_key.id}"), "k": headers["Idempotency-Key"], "h": fingerprint})
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


async def test_anonymous_callers_at_other_addresses_never_share_a_key(app, client):
    # `client` gives the app this test's database; a second client comes from another address.
    headers = key()
    body = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000}
    first = await client.post("/v1/estimate", json=body, headers=headers)
    answers = []
    for address, sent in (("203.0.113.7", body), ("203.0.113.9", {**body, "output_tokens": 1})):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as stranger:
            answers.append(await stranger.post("/v1/estimate", json=sent, headers=headers))
    # Each stranger's request runs as its own: neither a replay of the first caller's answer nor a 422 for reuse.
    assert first.status_code == 200 and [answer.status_code for answer in answers] == [200, 200], answers[1].text
    assert not [answer for answer in answers if "idempotent-replayed" in answer.headers]


async def test_an_unchecked_authorization_header_does_not_choose_the_namespace(app, client):
    # Estimates check no key: whatever Authorization a caller sends, its keys are its address's.
    headers = key()
    body = {"model": "deepseek-v4-flash", "input_tokens": 5, "output_tokens": 2}
    first = await client.post("/v1/estimate", json=body, headers={**headers, "Authorization": "Bearer pk_victim"})
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as stranger:
        again = await stranger.post("/v1/estimate", json=body,
                                    headers={**headers, "Authorization": "Bearer pk_victim"})
    assert first.status_code == again.status_code == 200 and "idempotent-replayed" not in again.headers


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
