"""Writes need a key with catalog:write: none or a bad one is 401, one without the scope is 403."""

from __future__ import annotations

from service.auth.keys import create_key, find_active_key, revoke_key
from tests.problems import assert_problem


async def test_a_write_without_a_key_is_401_with_a_bearer_challenge(client):
    response = await client.post("/v1/providers", json={"id": "x-corp", "name": "X"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_write_with_an_unknown_key_is_401(client):
    headers = {"Authorization": "Bearer pk_not-a-real-key"}
    assert (await client.post("/v1/providers", json={"id": "x-corp", "name": "X"}, headers=headers)).status_code == 401


async def test_a_write_with_a_feeds_key_is_403(client, reader):
    response = await client.post("/v1/providers", json={"id": "x-corp", "name": "X"}, headers=reader)
    assert_problem(response, 403, type="forbidden")


async def test_reads_need_no_key(client):
    assert (await client.get("/v1/models")).status_code == 200


async def test_a_revoked_key_is_refused_on_the_next_request(client, session):
    key, secret = await create_key(session, "ci", ["catalog:write"])
    headers = {"Authorization": f"Bearer {secret}"}
    before = await client.post("/v1/providers", json={"id": "rev-corp", "name": "R"}, headers=headers)
    assert before.status_code == 201
    await revoke_key(session, key.id)
    await session.flush()
    after = await client.post("/v1/providers", json={"id": "rev-corp2", "name": "R"}, headers=headers)
    assert after.status_code == 401


async def test_only_a_hash_of_the_key_is_stored(session):
    key, secret = await create_key(session, "ci", ["feeds:read"])
    assert secret.startswith("pk_") and len(secret) > 40
    assert secret.encode() not in key.secret_hash and len(key.secret_hash) == 32
    assert (await find_active_key(session, secret)).id == key.id
    assert await find_active_key(session, secret + "x") is None
