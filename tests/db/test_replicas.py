"""Read replicas on a real primary and a real streaming replica (tests/replication.py): reads that may lag go to
the replica, a write's consistency token brings its own reads back to it, a replica paused, lagging or stopped
is seen in /metrics and /health/ready and skipped, and the snapshot never lags what it was notified of."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.keys import create_key
from service.catalog.seed import load_seed_if_empty
from service.db import migrations
from service.db.embedded import EmbeddedPostgres, url_for_port
from service.db.engine import make_engine
from service.db.replicas import format_lsn, parse_lsn
from service.http.app import create_app
from service.settings import Settings
from tests.factories import unique_slug
from tests.replication import Standby, replica_sql, start_primary

UNLIMITED = "1000000/minute"
MAX_LAG = 3.0  # seconds: short, so that a paused replica leaves rotation within the test


@dataclass
class Cluster:
    primary: EmbeddedPostgres
    primary_url: str
    standby: Standby


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A fresh primary, migrated, and its streaming replica: a few seconds, once for the module."""
    base = tmp_path_factory.mktemp("replication")
    primary, port = start_primary(base / "primary")
    standby = None
    try:
        url = url_for_port(port)
        migrations.upgrade(url)
        standby = Standby(base / "replica", port)
        standby.start()
        yield Cluster(primary, url, standby)
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


@pytest.fixture(scope="module")
async def write_headers(cluster: Cluster) -> dict[str, str]:
    engine = make_engine(cluster.primary_url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await load_seed_if_empty(session)
            _, secret = await create_key(session, "replica tests", ["catalog:write", "feeds:read"])
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def client(cluster: Cluster) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(database_url=cluster.primary_url, database_replica_urls=(cluster.standby.url,),
                        replica_max_lag=MAX_LAG, replica_token_wait=0.3, load_seed=False,
                        rate_limit_public=UNLIMITED, rate_limit_feeds=UNLIMITED, rate_limit_write=UNLIMITED,
                        rate_limit_auth_failures=UNLIMITED)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def _model_with_price(client: AsyncTestClient, headers: dict[str, str]) -> tuple[str, str]:
    """A new model priced 1 per 1M input tokens from 2026-01-01; its id and the last write's token."""
    slug = unique_slug("replica")
    token = ""
    for path, body in [("/v1/providers", {"id": slug, "name": "Replicated"}),
                       ("/v1/models", {"id": slug, "provider": slug, "name": "Replicated model"}),
                       (f"/v1/models/{slug}/prices", _price("2026-01-01", "1"))]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        token = response.headers["x-consistency-token"]
    return slug, token


def _price(valid_from: str, input_per_mtok: str) -> dict[str, str]:
    return {"valid_from": f"{valid_from}T00:00:00Z", "input_per_mtok": input_per_mtok, "output_per_mtok": "2",
            "source": "replica test"}


async def _prices(client: AsyncTestClient, slug: str, token: str | None = None) -> list[str]:
    response = await client.get(f"/v1/models/{slug}/prices",
                                headers={"X-Consistency-Token": token} if token else {})
    assert response.status_code == 200, response.text
    return [period["input_per_mtok"] for period in response.json()["data"]]


async def _metric(client: AsyncTestClient, name: str, label: str) -> float | None:
    text = (await client.get("/metrics")).text
    found = re.search(rf'^{name}\{{{label}\}} (\S+)$', text, re.MULTILINE)
    return None if found is None else float(found.group(1))


async def _replica_reads(client: AsyncTestClient, cluster: Cluster) -> float:
    return await _metric(client, "db_reads_total", f'server="127.0.0.1:{cluster.standby.port}/postgres"') or 0.0


async def _estimate_input_cost(client: AsyncTestClient, slug: str) -> str | None:
    response = await client.post("/v1/estimate", json={"model": slug, "input_tokens": 1_000_000,
                                                       "output_tokens": 0, "at": "2030-06-01"})
    return response.json()["cost"]["total"] if response.status_code == 200 else None


async def _eventually(check, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    assert await check()


async def test_a_write_is_read_back_on_the_replica_with_its_consistency_token(client, write_headers, cluster):
    slug, token = await _model_with_price(client, write_headers)
    assert parse_lsn(token) is not None
    before = await _replica_reads(client, cluster)
    assert await _prices(client, slug, token) == ["1"]
    assert await _replica_reads(client, cluster) == before + 1  # the replica had it, or caught up within the wait
    ready = (await client.get("/health/ready")).json()
    assert ready["status"] == "ok"
    assert [(r["up"], r["in_rotation"]) for r in ready["replicas"]] == [(True, True)]
    # The snapshot heard the commits from the primary and read them from the replica once it had replayed them.
    await _eventually(lambda: _estimate_is(client, slug, Decimal("1")))
    assert client.app.state.snapshot_keeper.replica_loads > 0


async def test_a_paused_replica_serves_stale_reads_until_it_lags_too_far_and_token_reads_go_to_the_primary(
    client, write_headers, cluster
):
    slug, token = await _model_with_price(client, write_headers)
    await _eventually(lambda: _replica_has(cluster, token))
    await replica_sql(cluster.standby.url, "SELECT pg_wal_replay_pause()")
    try:
        response = await client.post(f"/v1/models/{slug}/prices", json=_price("2030-05-01", "3"),
                                     headers=write_headers)
        assert response.status_code == 201, response.text
        newer = response.headers["x-consistency-token"]
        assert parse_lsn(newer) > parse_lsn(token)
        assert await _prices(client, slug) == ["1"]  # untokened: the replica answers, without the new period
        before = await _replica_reads(client, cluster)
        assert await _prices(client, slug, newer) == ["1", "3"]  # the replica cannot have it: the primary answers
        assert await _replica_reads(client, cluster) == before
        name = f'replica="127.0.0.1:{cluster.standby.port}/postgres"'
        await _eventually(lambda: _lag_above(client, name, 0.0))
        assert (await _metric(client, "db_replica_lag_bytes", name) or 0) > 0
        # The snapshot waited for the replica up to REPLICA_MAX_LAG, then read the primary: never older than told.
        await _eventually(lambda: _estimate_is(client, slug, Decimal("3")))
        # Past REPLICA_MAX_LAG the replica takes no reads: untokened reads are fresh again, from the primary.
        await _eventually(lambda: _out_of_rotation(client))
        assert await _prices(client, slug) == ["1", "3"]
    finally:
        await replica_sql(cluster.standby.url, "SELECT pg_wal_replay_resume()")
    await _eventually(lambda: _replica_has(cluster, newer))
    assert await _prices(client, slug, newer) == ["1", "3"]


async def test_a_stopped_replica_is_skipped_without_errors_and_used_again_once_restarted(
    client, write_headers, cluster
):
    slug, token = await _model_with_price(client, write_headers)
    cluster.standby.stop()
    try:
        answers = [await client.get(f"/v1/models/{slug}/prices") for _ in range(20)]
        assert {r.status_code for r in answers} == {200}
        await _eventually(lambda: _replica_state(client, up=False))
        assert await _metric(client, "db_replica_up", f'replica="127.0.0.1:{cluster.standby.port}/postgres"') == 0
    finally:
        cluster.standby.start()
    await _eventually(lambda: _replica_state(client, up=True))
    before = await _replica_reads(client, cluster)
    assert await _prices(client, slug, token) == ["1"]
    assert await _replica_reads(client, cluster) == before + 1


async def _replica_has(cluster: Cluster, token: str) -> bool:
    return bool(await replica_sql(cluster.standby.url, f"SELECT pg_last_wal_replay_lsn() >= '{token}'::pg_lsn"))


async def _lag_above(client, name: str, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    return (await _metric(client, "db_replica_lag_seconds", name) or 0.0) > seconds


async def _estimate_is(client, slug: str, total: Decimal) -> bool:  # type: ignore[no-untyped-def]
    found = await _estimate_input_cost(client, slug)
    return found is not None and Decimal(found) == total


async def _out_of_rotation(client) -> bool:  # type: ignore[no-untyped-def]
    ready = (await client.get("/health/ready")).json()
    return [r["in_rotation"] for r in ready["replicas"]] == [False]


async def _replica_state(client, *, up: bool) -> bool:  # type: ignore[no-untyped-def]
    ready = (await client.get("/health/ready")).json()
    return [(r["up"], r["in_rotation"]) for r in ready["replicas"]] == [(up, up)]


async def test_a_malformed_consistency_token_is_a_422_that_names_it_and_its_shape(client, write_headers):
    slug, _ = await _model_with_price(client, write_headers)
    response = await client.get(f"/v1/models/{slug}/prices", headers={"X-Consistency-Token": "yesterday"})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "consistency_token" and "[0-9A-Fa-f]{1,8}/" in error["message"]


async def test_the_change_feed_is_exactly_once_in_commit_order_whichever_server_answers(
    client, write_headers, cluster
):
    _, token = await _model_with_price(client, write_headers)
    await _eventually(lambda: _replica_has(cluster, token))
    start = await _end_of_feed(client, write_headers)
    await replica_sql(cluster.standby.url, "SELECT pg_wal_replay_pause()")
    try:
        slug, newer = await _model_with_price(client, write_headers)
        behind = (await client.get("/v1/feeds/changes", params={"cursor": start["next_cursor"]},
                                   headers=write_headers)).json()
        assert behind["data"] == [] and behind["next_cursor"] == start["next_cursor"]  # the replica: not yet
        fresh = (await client.get("/v1/feeds/changes", params={"cursor": behind["next_cursor"]},
                                  headers={**write_headers, "X-Consistency-Token": newer})).json()
    finally:
        await replica_sql(cluster.standby.url, "SELECT pg_wal_replay_resume()")
    assert [(e["kind"], e["object"]["id"]) for e in fresh["data"]] == [
        ("provider.created", slug), ("model.created", slug), ("price.created", fresh["data"][2]["object"]["id"])]
    await _eventually(lambda: _replica_has(cluster, newer))
    again = (await client.get("/v1/feeds/changes", params={"cursor": start["next_cursor"]},
                              headers=write_headers)).json()
    assert again["data"] == fresh["data"]  # the replica, caught up, gives the same changes in the same order
    after = (await client.get("/v1/feeds/changes", params={"cursor": fresh["next_cursor"]},
                              headers=write_headers)).json()
    assert after["data"] == []


async def _end_of_feed(client: AsyncTestClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    params: dict[str, str | int] = {"limit": 500}
    while True:
        page = (await client.get("/v1/feeds/changes", params=params, headers=headers)).json()
        if not page["has_more"]:
            return page
        params["cursor"] = page["next_cursor"]


def test_a_wal_position_reads_as_postgresql_writes_it_and_nothing_else():
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert format_lsn(parse_lsn("0/3000060")) == "0/3000060"
    assert [parse_lsn(v) for v in (None, "", "16", "/1", "1/", "x/1", "123456789/1", "1/2/3")] == [None] * 8
