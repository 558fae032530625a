"""The suite runs on real PostgreSQL: TEST_DATABASE_URL when set, else an embedded server.

With TEST_DATABASE_POOL_MODE=transaction (or session), the app's engines go through a PgBouncer of the run's own
in that pool mode, as a deployment behind PgBouncer does; LISTEN and migrations stay direct (docs/deploy.md).

A fresh database is made for the run and migrated with `alembic upgrade head`; the seed catalog is committed
once. Each test then runs inside a transaction that is rolled back, so tests never see each other's writes.
Tests that need real commits (races) use `committed_client` and their own uniquely named rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import httpx
import pytest
import uvicorn
from litestar import Litestar
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from service.auth.keys import create_key
from service.catalog.assumption_seed import load_assumptions_if_empty
from service.catalog.seed import load_seed_if_empty
from service.cli.main import uvicorn_options
from service.db import migrations
from service.db.embedded import embedded_database
from service.db.engine import make_engine, make_sessionmaker
from service.http.app import create_app
from service.settings import Settings
from service.snapshot.keeper import SnapshotKeeper
from tests.pgbouncer import running_pgbouncer

POOL_MODE = os.environ.get("TEST_DATABASE_POOL_MODE") or None


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server to make test databases in."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    with embedded_database(tmp_path_factory.mktemp("embedded-pg")) as url:
        yield url


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_database(server: str, name: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(server))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(server: str, name: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(server))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def pooler_url(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """The run's PgBouncer in front of the test server, when TEST_DATABASE_POOL_MODE asks for one."""
    if POOL_MODE is None:
        yield None
        return
    with running_pgbouncer(server_url, tmp_path_factory.mktemp("pgbouncer"), pool_mode=POOL_MODE) as url:
        yield url


def _pooled(url: str, pooler_url: str | None) -> str:
    """`url` (a test database), reached through the run's PgBouncer when there is one."""
    if pooler_url is None:
        return url
    pooler = make_url(pooler_url)
    return make_url(url).set(host=pooler.host, port=pooler.port).render_as_string(hide_password=False)


def _app_engine(url: str, pooler_url: str | None) -> AsyncEngine:
    return make_engine(_pooled(url, pooler_url), pool_mode=POOL_MODE or "session")


@pytest.fixture(scope="session")
def make_database(server_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases on the test server; they are dropped when the run ends."""
    made: list[str] = []

    def make() -> str:
        name = f"pricing_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_create_database(server_url, name))
        made.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    yield make
    for name in made:
        asyncio.run(_drop_database(server_url, name))


def _migrated(make_database: Callable[[], str]) -> str:
    url = make_database()
    migrations.upgrade(url)
    return url


@contextlib.asynccontextmanager
async def _running_keeper(url: str, engine: AsyncEngine) -> AsyncIterator[SnapshotKeeper]:
    keeper = SnapshotKeeper(url, make_sessionmaker(engine))
    await keeper.start()
    try:
        yield keeper
    finally:
        await keeper.stop()


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[], str]) -> str:
    return _migrated(make_database)


@pytest.fixture(scope="session")
async def engine(database_url: str, pooler_url: str | None) -> AsyncIterator[AsyncEngine]:
    engine = _app_engine(database_url, pooler_url)
    async with engine.begin() as connection:
        await load_seed_if_empty(AsyncSession(bind=connection))
        await load_assumptions_if_empty(AsyncSession(bind=connection))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def snapshot_keeper(database_url: str, engine: AsyncEngine) -> AsyncIterator[SnapshotKeeper]:
    """The app's snapshot of the committed catalog, kept current by LISTEN/NOTIFY like in production."""
    async with _running_keeper(database_url, engine) as keeper:
        yield keeper


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


def _rolled_back_sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # The app's commits become savepoint releases inside the test's transaction.
    return async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with _rolled_back_sessions(connection)() as session:
        yield session


@pytest.fixture(scope="session")
def app(database_url: str) -> Litestar:
    # Limits that never trip during the suite; tests/feeds/test_rate_limits.py tests them on apps of its own.
    unlimited = "1000000/minute"
    return create_app(Settings(database_url=database_url, load_seed=False, rate_limit_public=unlimited,
                               rate_limit_feeds=unlimited, rate_limit_write=unlimited,
                               rate_limit_auth_failures=unlimited, quota_anonymous_quotes="1000000/day"))


@contextlib.contextmanager
def _state_for_the_test(app: Litestar, **values: object) -> Iterator[None]:
    """Give the session's app this test's database objects (its startup, which would open its own, never runs),
    and leave its state as it was afterwards, so no test sees what an earlier one set."""
    before = dict(app.state)
    app.state.update(values)
    try:
        yield
    finally:
        for name in values:
            del app.state[name]
        app.state.update(before)


def _client(app: Litestar) -> httpx.AsyncClient:
    # httpx's ASGI transport runs the app on the test's own event loop, which asyncpg connections need.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def client(
    app: Litestar, engine: AsyncEngine, connection: AsyncConnection, snapshot_keeper: SnapshotKeeper
) -> AsyncIterator[httpx.AsyncClient]:
    """Catalog writes are rolled back after the test; estimates price from the committed catalog's snapshot."""
    with _state_for_the_test(app, engine=engine, snapshot_keeper=snapshot_keeper,
                             sessionmaker=_rolled_back_sessions(connection)):
        async with _client(app) as client:
            yield client


@pytest.fixture(scope="session")
def committed_database_url(make_database: Callable[[], str]) -> str:
    """A database of its own for tests that really commit, so their rows never reach the rolled-back tests."""
    return _migrated(make_database)


@pytest.fixture(scope="session")
async def committed_engine(committed_database_url: str, pooler_url: str | None) -> AsyncIterator[AsyncEngine]:
    engine = _app_engine(committed_database_url, pooler_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def committed_keeper(committed_database_url: str, committed_engine: AsyncEngine) -> AsyncIterator[SnapshotKeeper]:
    async with _running_keeper(committed_database_url, committed_engine) as keeper:
        yield keeper


@pytest.fixture
async def committed_client(
    app: Litestar, committed_engine: AsyncEngine, committed_keeper: SnapshotKeeper
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests really commit (races, NOTIFY, quotes), on the committed database; use unique ids."""
    with _state_for_the_test(app, engine=committed_engine, snapshot_keeper=committed_keeper,
                             sessionmaker=make_sessionmaker(committed_engine)):
        async with _client(app) as client:
            yield client


async def _key_headers(session: AsyncSession, *scopes: str) -> dict[str, str]:
    _, secret = await create_key(session, "test", list(scopes))
    await session.flush()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def writer(session: AsyncSession) -> dict[str, str]:
    """Headers carrying a key with catalog:write."""
    return await _key_headers(session, "catalog:write")


@pytest.fixture
async def reader(session: AsyncSession) -> dict[str, str]:
    """Headers carrying a key with feeds:read only."""
    return await _key_headers(session, "feeds:read")


@pytest.fixture(scope="session")
def served_url(database_url: str, engine: AsyncEngine) -> Iterator[str]:  # `engine` commits the seed catalog
    """The app served by a real uvicorn on a free port of 127.0.0.1, for clients that see bytes as they are sent."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(Settings(database_url=database_url, load_seed=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           **{**uvicorn_options(Settings()), "log_level": "warning"}))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/health/ready", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
