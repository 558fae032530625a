"""Webhook tests: an app whose webhooks are configured, real receivers on the loopback, and deliverers run by
the test on the committed database (delivery happens outside any request's transaction)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from service.auth.keys import create_key
from service.db.engine import make_sessionmaker
from service.feeds.webhooks.pool import DelivererPool
from service.http.app import create_app
from service.settings import Settings, WebhookSettings
from service.snapshot.keeper import SnapshotKeeper
from tests.conftest import _client, _rolled_back_sessions, _state_for_the_test
from tests.feeds.webhooks.receiver import Receiver, serve

ENCRYPTION_KEY = "test-webhook-encryption-key"
# Short enough that a test of retries takes seconds, not hours.
FAST = WebhookSettings(encryption_key=ENCRYPTION_KEY, allow_private_targets=True, deliverers=2, poll_interval=0.02,
                       timeout=2.0, backoff_base=0.02, backoff_max=0.2)


def webhook_app(database_url: str, webhooks: WebhookSettings = FAST) -> Litestar:
    unlimited = "1000000/minute"
    return create_app(Settings(database_url=database_url, load_seed=False, rate_limit_public=unlimited,
                               rate_limit_feeds=unlimited, rate_limit_write=unlimited, webhooks=webhooks))


@pytest.fixture(scope="session")
def hooks_app(database_url: str) -> Litestar:
    return webhook_app(database_url)


@pytest.fixture
async def hooks_client(hooks_app: Litestar, engine: AsyncEngine, connection: AsyncConnection,
                       snapshot_keeper: SnapshotKeeper) -> AsyncIterator[httpx.AsyncClient]:
    """Rolled back after the test, like `client`, on an app whose webhooks are configured."""
    with _state_for_the_test(hooks_app, engine=engine, snapshot_keeper=snapshot_keeper,
                             sessionmaker=_rolled_back_sessions(connection)):
        async with _client(hooks_app) as client:
            yield client


@pytest.fixture
async def manager(session: AsyncSession) -> dict[str, str]:
    _, secret = await create_key(session, "partner", ["webhooks:manage"])
    await session.flush()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def live(hooks_app: Litestar, committed_engine: AsyncEngine,
               committed_keeper: SnapshotKeeper) -> AsyncIterator[Live]:
    """Really committed writes and subscriptions, a key with both scopes, and deliverers to start."""
    sessions = make_sessionmaker(committed_engine)
    async with sessions() as session, session.begin():
        _, secret = await create_key(session, "partner", ["webhooks:manage", "catalog:write"])
    with _state_for_the_test(hooks_app, engine=committed_engine, snapshot_keeper=committed_keeper,
                             sessionmaker=sessions):
        async with _client(hooks_app) as client:
            live = Live(client, {"Authorization": f"Bearer {secret}"}, committed_engine)
            try:
                yield live
            finally:
                await live.stop_all()
                # No subscription outlives its test: later tests' deliverers must not send to dead receivers.
                async with committed_engine.begin() as connection:
                    await connection.execute(text("DELETE FROM webhook_subscriptions"))


@dataclasses.dataclass
class Live:
    client: httpx.AsyncClient
    headers: dict[str, str]
    engine: AsyncEngine
    pools: list[DelivererPool] = dataclasses.field(default_factory=list)

    async def subscribe(self, url: str, event_types: list[str] | None = None, **extra: object) -> dict:
        response = await self.client.post("/v1/webhooks", headers=self.headers,
                                          json={"url": url, "event_types": event_types or ["*"], **extra})
        assert response.status_code == 201, response.text
        return response.json()

    async def start(self, settings: WebhookSettings = FAST, engine: AsyncEngine | None = None) -> DelivererPool:
        engine = engine or self.engine
        pool = DelivererPool(engine, make_sessionmaker(engine), settings)
        await pool.start()
        self.pools.append(pool)
        return pool

    async def stop_all(self) -> None:
        for pool in self.pools:
            await pool.stop()
        self.pools.clear()

    async def write_providers(self, prefix: str, count: int) -> list[str]:
        ids = [f"{prefix}-{n}" for n in range(count)]
        for provider_id in ids:
            response = await self.client.post("/v1/providers", json={"id": provider_id, "name": "x"},
                                              headers=self.headers)
            assert response.status_code == 201, response.text
        return ids

    async def read_when(self, path: str, condition, seconds: float = 10.0):
        """GET `path` until `condition(body)` holds: the deliverer writes its log and cursor just after the
        receiver has answered, so what the receiver saw is in the database a moment later."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            body = (await self.client.get(path, headers=self.headers)).json()
            if condition(body):
                return body
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; last {path}: {body}")
            await asyncio.sleep(0.02)

    async def until(self, receiver: Receiver, condition, seconds: float = 20.0) -> None:
        """Waits on the test's loop (the deliverers run on it) until the receiver has seen what is wanted."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; received {[(r.path, r.status) for r in receiver.received]}")
            await asyncio.sleep(0.02)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with another_receiver() as made:
        yield made


@contextlib.contextmanager
def another_receiver() -> Iterator[Receiver]:
    made = Receiver()
    server = serve(made)
    try:
        yield made
    finally:
        server.shutdown()
        server.server_close()
