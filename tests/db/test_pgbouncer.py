"""The service behind a real PgBouncer (Debian's 1.18), in transaction and in session pooling: writes, reads, the
change feed and the snapshot kept coherent, with LISTEN over a direct connection (DATABASE_LISTEN_URL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.pagination import encode_cursor
from service.db import migrations
from service.db.engine import make_engine
from service.http.app import create_app
from service.settings import Settings
from tests.factories import committed_model_and_key, unique_slug
from tests.pgbouncer import running_pgbouncer

UNLIMITED = "1000000/minute"
# Two server connections for every client: each transaction can land on another one than the last.
SERVER_CONNECTIONS = 2


@pytest.fixture(scope="module")
def direct_url(make_database: Callable[[], str]) -> str:
    url = make_database()
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="module", params=["transaction", "session"])
def pooled(request: pytest.FixtureRequest, direct_url: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, str]]:
    """(pool mode, the test database's URL through a PgBouncer in that mode)."""
    mode = request.param
    # Session pooling gives each client a server connection for as long as it stays connected: as many as the
    # app's pool may open. Transaction pooling shares a few.
    size = SERVER_CONNECTIONS if mode == "transaction" else 40
    with running_pgbouncer(direct_url, tmp_path_factory.mktemp(f"pgbouncer-{mode}"), pool_mode=mode,
                           pool_size=size) as url:
        yield mode, url


@pytest.fixture(scope="module")
def transaction_pooled_url(direct_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_pgbouncer(direct_url, tmp_path_factory.mktemp("pgbouncer-shared"), pool_mode="transaction",
                           pool_size=SERVER_CONNECTIONS) as url:
        yield url


def _settings(direct_url: str, pooled_url: str, mode: str) -> Settings:
    return Settings(database_url=pooled_url, database_listen_url=direct_url, database_pool_mode=mode,
                    load_seed=False, rate_limit_public=UNLIMITED, rate_limit_feeds=UNLIMITED,
                    rate_limit_write=UNLIMITED, rate_limit_auth_failures=UNLIMITED)


async def _write_a_priced_model(client: AsyncTestClient, headers: dict[str, str], price: str) -> str:
    slug = unique_slug("pgb")
    for path, body in [("/v1/providers", {"id": slug, "name": "Pooled"}),
                       ("/v1/models", {"id": slug, "provider": slug, "name": "Pooled model"}),
                       (f"/v1/models/{slug}/prices", {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": price,
                                                      "output_per_mtok": "2", "source": "pgbouncer test"})]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
    return slug


async def _estimate_total(client: AsyncTestClient, model: str) -> str | None:
    response = await client.post("/v1/estimate", json={"model": model, "input_tokens": 1_000_000,
                                                       "output_tokens": 0, "at": "2026-06-01"})
    return response.json()["cost"]["total"] if response.status_code == 200 else None


async def test_writes_reads_the_change_feed_and_the_snapshot_work_through_pgbouncer(direct_url, pooled):
    mode, pooled_url = pooled
    direct = make_engine(direct_url)
    try:
        _, headers = await committed_model_and_key(direct, "pgb", "catalog:write", "feeds:read")
        start = await _last_seq(direct)
    finally:
        await direct.dispose()
    async with AsyncTestClient(create_app(_settings(direct_url, pooled_url, mode))) as client:
        slug = await _write_a_priced_model(client, headers, "0.25")
        # Many concurrent reads on two server connections: statements of one client run on the other's.
        answers = await asyncio.gather(*[client.get(f"/v1/models/{slug}/prices") for _ in range(30)])
        assert {r.status_code for r in answers} == {200}
        assert all(r.json()["data"][0]["input_per_mtok"] == "0.25" for r in answers)
        feed = (await client.get("/v1/feeds/changes", params={"cursor": encode_cursor(start)},
                                 headers=headers)).json()
        assert [entry["kind"] for entry in feed["data"]] == ["provider.created", "model.created", "price.created"]
        # The snapshot hears the commit over the direct LISTEN connection and reads it through PgBouncer.
        for _ in range(100):
            if await _estimate_total(client, slug) == "0.25":
                break
            await asyncio.sleep(0.05)
        assert await _estimate_total(client, slug) == "0.25"
        assert (await client.get("/health/ready")).status_code == 200


async def test_a_transaction_pooled_engine_shares_server_connections_between_clients(transaction_pooled_url):
    engine = make_engine(transaction_pooled_url, pool_size=8, pool_mode="transaction")
    try:
        pids = [pid for pairs in await asyncio.gather(*[_transactions(engine, n) for n in range(40)])
                for pid in pairs]
    finally:
        await engine.dispose()
    assert all(first == second for first, second in pids)  # a transaction keeps its server connection throughout
    assert len({first for first, _ in pids}) <= SERVER_CONNECTIONS


async def test_a_session_configured_engine_loses_its_prepared_statements_under_transaction_pooling(
    transaction_pooled_url,
):
    """Why DATABASE_POOL_MODE=transaction exists: asyncpg's statement cache prepares a statement on one server
    connection and runs it later on another, where it does not exist (PgBouncer 1.18 does not track them)."""
    engine = make_engine(transaction_pooled_url, pool_size=2, pool_mode="session")
    try:
        with pytest.raises(DBAPIError, match="prepared statement"):
            await _statement_again_on_another_server(engine)
    finally:
        await engine.dispose()


async def test_a_transaction_configured_engine_runs_the_same_sequence(transaction_pooled_url):
    engine = make_engine(transaction_pooled_url, pool_size=2, pool_mode="transaction")
    try:
        await _statement_again_on_another_server(engine)
    finally:
        await engine.dispose()


async def _statement_again_on_another_server(engine: AsyncEngine) -> None:
    """Made to happen, not left to chance: a statement is prepared on a server connection, which goes back to the
    pool at commit; a second client then holds that server in a transaction of its own, so the first client's next
    transaction runs the statement on another server, where it was never prepared."""
    statement = text("SELECT pg_backend_pid() + :n - :n")
    async with engine.connect() as first, engine.connect() as second:
        prepared_on = await first.scalar(statement, {"n": 1})
        await first.commit()
        assert await second.scalar(text("SELECT pg_backend_pid()")) == prepared_on  # PgBouncer reuses it
        assert await first.scalar(statement, {"n": 2}) != prepared_on


async def _transactions(engine: AsyncEngine, n: int) -> list[tuple[int, int]]:
    """Three short transactions of two statements each: the server process of each statement."""
    pids = []
    for _ in range(3):
        async with engine.begin() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid() + :n - :n"), {"n": n})
            await asyncio.sleep(0)
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        pids.append((int(first), int(second)))
    return pids


async def _last_seq(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT last_seq FROM change_counter")))
