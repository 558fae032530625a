"""PostgreSQL stops under the service and comes back: estimates keep answering, the rest says 503, all recovers."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.keys import create_key
from service.catalog.seed import load_seed_if_empty
from service.db.embedded import EmbeddedPostgres, url_for_port
from service.db.engine import make_engine, make_sessionmaker
from service.db.migrations import upgrade_in_thread
from service.http.app import create_app
from service.settings import Settings
from service.snapshot.keeper import SnapshotKeeper

ESTIMATE = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "at": "2026-05-10"}
UNLIMITED = "1000000/minute"


async def _until(predicate, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await predicate():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within} s")


async def test_a_postgres_restart_keeps_estimates_up_and_everything_recovers_within_5_seconds(tmp_path):
    server = EmbeddedPostgres(tmp_path)
    port = server.start()
    url = url_for_port(port)
    engine = make_engine(url)
    keeper = None
    try:
        upgrade_in_thread(url)
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await load_seed_if_empty(session)
            _, write_key = await create_key(session, "w", ["catalog:write"])
            _, feed_key = await create_key(session, "f", ["feeds:read"])
        writer, reader = {"Authorization": f"Bearer {write_key}"}, {"Authorization": f"Bearer {feed_key}"}
        app = create_app(Settings(database_url=url, rate_limit_public=UNLIMITED, rate_limit_feeds=UNLIMITED,
                                  rate_limit_write=UNLIMITED))
        keeper = SnapshotKeeper(url, make_sessionmaker(engine))
        await keeper.start()
        app.state.engine, app.state.sessionmaker, app.state.snapshot_keeper = engine, make_sessionmaker(engine), keeper
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            healthy = await client.post("/v1/estimate", json=ESTIMATE)
            assert healthy.status_code == 200 and "x-catalog-snapshot" not in healthy.headers

            server.stop()
            await _until(lambda: _false(keeper.connected), within=3)
            answered = 0
            for _ in range(20):
                during = await client.post("/v1/estimate", json=ESTIMATE)
                assert during.status_code == 200 and during.json()["cost"]["total"] == "0.0126"
                assert during.headers["x-catalog-snapshot"].startswith("stale")
                answered += 1
            write = await client.post("/v1/providers", json={"id": "during-outage", "name": "x"}, headers=writer)
            assert write.status_code == 503 and write.headers["retry-after"], write.text
            assert write.headers["content-type"].startswith("application/problem+json")
            feed = await client.get("/v1/feeds/changes", headers=reader)
            assert feed.status_code == 503
            catalog = await client.get("/v1/models/gpt-4.1")
            assert catalog.status_code == 503
            assert (await client.get("/health/ready")).status_code == 503
            assert (await client.get("/health/live")).status_code == 200

            server.start(port=port)

            attempts: list[str] = []

            async def recovered() -> bool:
                attempts.append(f"after-outage-{len(attempts)}")
                response = await client.post("/v1/providers", json={"id": attempts[-1], "name": "x"}, headers=writer)
                estimate = await client.post("/v1/estimate", json=ESTIMATE)
                assert response.status_code in (201, 503), response.text
                return response.status_code == 201 and "x-catalog-snapshot" not in estimate.headers

            took = await _until(recovered, within=5)
            assert (await client.get("/health/ready")).status_code == 200
            # The acknowledged write is there; the refused ones are not.
            assert (await client.get(f"/v1/providers/{attempts[-1]}")).status_code == 200
            assert (await client.get("/v1/providers/during-outage")).status_code == 404
            print(f"\nrecovered {took:.2f} s after PostgreSQL came back; {answered} estimates answered while down")
    finally:
        if keeper:
            await keeper.stop()
        await engine.dispose()
        server.stop()


async def _false(value: bool) -> bool:
    return not value
