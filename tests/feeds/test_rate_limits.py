"""Rate limits: per client address for anonymous calls, per key otherwise; in memory or in Redis."""

from __future__ import annotations

import logging
import os
import uuid

import httpx
import pytest

from service.http.app import create_app
from service.settings import Settings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["memory", "redis"])
async def limited(request, database_url, engine, snapshot_keeper, connection):
    from tests.conftest import _rolled_back_sessions

    redis_url = REDIS_URL if request.param == "redis" else None
    if redis_url:  # database 15 is the suite's own: counters of earlier runs must not count here
        import redis.asyncio as redis

        async with redis.from_url(redis_url) as r:
            await r.flushdb()
    app = create_app(Settings(database_url=database_url, redis_url=redis_url, rate_limit_public="3/minute",
                              rate_limit_feeds="2/minute", rate_limit_write="100/minute",
                              rate_limit_auth_failures="3/minute", quota_anonymous_quotes="2/day"))
    app.state.engine, app.state.snapshot_keeper = engine, snapshot_keeper
    app.state.sessionmaker = _rolled_back_sessions(connection)
    expected_store = {"memory": "MemoryStore", "redis": "RedisStore"}[request.param]
    assert type(app.state.rate_limiter.store).__name__ == expected_store
    client_ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    transport = httpx.ASGITransport(app=app, client=(client_ip, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client
    if redis_url:
        await app.state.rate_limiter.store.close()


async def test_the_call_over_the_limit_gets_a_429_with_retry_after_and_ratelimit_headers(limited):
    statuses = [(await limited.get("/v1/models")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = await limited.get("/v1/models")
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["ratelimit-policy"] == '"public";q=3;w=60'
    assert response.headers["ratelimit"].startswith('"public";r=0;t=')


async def test_successful_calls_say_what_is_left(limited):
    response = await limited.get("/v1/models")
    assert response.headers["ratelimit"].startswith('"public";r=2;')


async def test_keys_are_limited_each_on_its_own_budget(limited, session):
    from service.auth.keys import create_key

    headers = []
    for name in ("a", "b"):
        _, secret = await create_key(session, name, ["feeds:read"])
        headers.append({"Authorization": f"Bearer {secret}"})
    await session.flush()
    first = [(await limited.get("/v1/feeds/prices", headers=headers[0])).status_code for _ in range(3)]
    second = [(await limited.get("/v1/feeds/prices", headers=headers[1])).status_code for _ in range(2)]
    assert first == [200, 200, 429] and second == [200, 200]


async def test_wrong_keys_are_limited_per_address_and_counted(limited, session):
    from service.auth.keys import create_key

    _, secret = await create_key(session, "good", ["feeds:read"])
    await session.flush()
    guesses = [(await limited.get("/v1/feeds/prices", headers={"Authorization": f"Bearer pk_guess{n}"})).status_code
               for n in range(3)]
    assert guesses == [401, 401, 401]
    # The window is spent: the next call from that address is refused before its key is looked at, good or not.
    for headers in ({"Authorization": "Bearer pk_guess4"}, {"Authorization": f"Bearer {secret}"}):
        response = await limited.get("/v1/feeds/prices", headers=headers)
        assert response.status_code == 429 and 1 <= int(response.headers["retry-after"]) <= 60
        assert response.json()["type"] == "/problems/rate-limited"
    metrics = (await limited.get("/metrics")).text
    assert "auth_failures_total 3.0" in metrics


async def test_anonymous_quotes_have_a_daily_quota_by_address_and_keyed_callers_none(limited, session):
    from service.auth.keys import create_key

    quote = {"kind": "estimate", "request": {"model": "deepseek-v4-flash", "input_tokens": 1, "output_tokens": 1,
                                             "at": "2026-05-10"}}
    anonymous = [(await limited.post("/v1/quotes", json=quote)).status_code for _ in range(3)]
    assert anonymous[:2] == [201, 201] and anonymous[2] == 429
    refused = await limited.post("/v1/quotes", json=quote)
    assert refused.json()["type"] == "/problems/rate-limited" and int(refused.headers["retry-after"]) <= 86400
    _, secret = await create_key(session, "quoter", ["feeds:read"])
    await session.flush()
    keyed = [(await limited.post("/v1/quotes", json=quote, headers={"Authorization": f"Bearer {secret}"})).status_code
             for _ in range(3)]
    assert keyed == [201, 201, 201]
    wrong = await limited.post("/v1/quotes", json=quote, headers={"Authorization": "Bearer pk_wrong"})
    assert wrong.status_code == 401


async def test_health_and_docs_are_not_limited(limited):
    statuses = {(await limited.get("/health/live")).status_code for _ in range(6)}
    assert statuses == {200}


async def test_keys_never_reach_the_logs(limited, session, caplog):
    from service.auth.keys import create_key

    _, secret = await create_key(session, "log", ["feeds:read"])
    await session.flush()
    caplog.set_level(logging.DEBUG)
    for _ in range(3):  # 200s, a 429, and a 401 for a mangled key
        await limited.get("/v1/feeds/prices", headers={"Authorization": f"Bearer {secret}"})
    await limited.get("/v1/feeds/prices", headers={"Authorization": f"Bearer {secret}x"})
    assert secret not in caplog.text
