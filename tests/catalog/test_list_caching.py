"""Conditional lists: an ETag from the catalog's version and the query, and a 304 that reads nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from service.db.engine import make_engine, make_sessionmaker
from tests.factories import committed_model_and_key, unique_slug

LISTS = ["/v1/models", "/v1/providers", "/v1/promotions"]


@pytest.mark.parametrize("path", LISTS)
async def test_an_unchanged_list_is_a_304_with_its_etag_and_no_body(client, path):
    etag = (await client.get(path)).headers["etag"]
    for if_none_match in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        response = await client.get(path, headers={"If-None-Match": if_none_match})
        assert response.status_code == 304, if_none_match
        assert response.content == b""
        assert (response.headers["etag"], response.headers["cache-control"]) == (etag, "no-cache")
    assert (await client.get(path, headers={"If-None-Match": '"other"'})).status_code == 200


async def test_the_etag_names_the_normalized_query(client):
    async def etag(path: str = "/v1/models", **params) -> str:
        return (await client.get(path, params=params)).headers["etag"]

    plain = await etag()
    assert await etag(limit=50) == plain  # the default, said out loud
    same_instant = {await etag(priced_at=at) for at in ("2026-05-01", "2026-05-01T00:00:00Z",
                                                         "2026-05-01T02:00:00+02:00")}
    assert len(same_instant) == 1
    others = [await etag(limit=10), await etag(q="opus"), await etag(provider="openai"), *same_instant,
              await etag(priced_at="2026-05-02"), await etag("/v1/providers"), await etag("/v1/promotions")]
    assert len({plain, *others}) == len(others) + 1
    first = (await client.get("/v1/models", params={"limit": 1})).json()
    assert await etag(limit=1, cursor=first["next_cursor"]) != await etag(limit=1)


async def test_a_304_is_answered_before_the_database_is_queried(app, client):
    etag = (await client.get("/v1/models", params={"q": "gpt"})).headers["etag"]
    unreachable = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    app.state.sessionmaker = make_sessionmaker(unreachable)  # any query now fails
    try:
        cached = await client.get("/v1/models", params={"q": "gpt"}, headers={"If-None-Match": etag})
        uncached = await client.get("/v1/models", params={"q": "gpt"})
    finally:
        await unreachable.dispose()
    assert cached.status_code == 304
    assert uncached.status_code == 503


async def settled(keeper, engine) -> None:
    """Wait until the snapshot keeper has applied every committed change (this test's, and any earlier test's)."""
    async with engine.connect() as connection:
        latest = await connection.scalar(text("SELECT last_seq FROM change_counter"))
    for _ in range(200):
        if keeper.current.seq >= latest:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"the snapshot keeper did not reach seq {latest} (still {keeper.current.seq})")


async def test_a_committed_write_changes_every_lists_etag(app, committed_client):
    keeper, engine = app.state.snapshot_keeper, app.state.engine
    model_id, writer = await committed_model_and_key(engine, "etag")
    await settled(keeper, engine)
    before = {path: (await committed_client.get(path)).headers["etag"] for path in LISTS}
    for path, etag in before.items():
        assert (await committed_client.get(path, headers={"If-None-Match": etag})).status_code == 304

    provider = unique_slug("etag-provider")
    created = await committed_client.post("/v1/providers", json={"id": provider, "name": "New"}, headers=writer)
    assert created.status_code == 201, created.text
    await settled(keeper, engine)

    for path, etag in before.items():
        response = await committed_client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200, path
        assert response.headers["etag"] != etag
        again = await committed_client.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
    providers = (await committed_client.get("/v1/providers", params={"limit": 500})).json()["data"]
    assert provider in [p["id"] for p in providers]
    models = (await committed_client.get("/v1/models", params={"q": model_id})).json()["data"]
    assert [m["id"] for m in models] == [model_id]
