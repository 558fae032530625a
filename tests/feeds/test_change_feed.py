"""The change log: every committed catalog change exactly once, in commit order, even under concurrent writers."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.pagination import encode_cursor
from service.auth.keys import create_key
from service.feeds.changes import PAGE_QUERY
from tests.factories import unique_slug


async def _follow(client, headers, cursor=None):
    params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
    response = await client.get("/v1/feeds/changes", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_write_appears_in_the_log_in_the_catalogs_own_shape(client, writer, reader):
    end = None
    while True:  # skip to the end of the log
        page = await _follow(client, reader, end)
        end = page["next_cursor"]
        if not page["has_more"]:
            break
    slug = unique_slug("feed")
    await client.post("/v1/providers", json={"id": slug, "name": "Feed test"}, headers=writer)
    await client.post("/v1/models", json={"id": slug, "provider": slug, "name": "M"}, headers=writer)
    await client.post(f"/v1/models/{slug}/prices", json={"valid_from": "2026-01-01T00:00:00Z",
                      "input_per_mtok": "0.125", "output_per_mtok": "1", "source": "t"}, headers=writer)
    page = await _follow(client, reader, end)
    assert [entry["kind"] for entry in page["data"]] == ["provider.created", "model.created", "price.created"]
    price = page["data"][2]["object"]
    assert price["model"] == slug and price["input_per_mtok"] == "0.125" and price["cache_read_per_mtok"] is None
    assert price["valid_from"] == "2026-01-01T00:00:00Z"
    seqs = [entry["seq"] for entry in page["data"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    empty = await _follow(client, reader, page["next_cursor"])
    assert empty["data"] == [] and empty["next_cursor"] == page["next_cursor"] and empty["has_more"] is False


async def test_the_seed_catalog_is_in_the_log(client, reader):
    page = await _follow(client, reader)
    kinds = [entry["kind"] for entry in page["data"]]
    assert kinds[:3] == ["provider.created"] * 3
    assert kinds.count("price.created") >= 6 and "promotion.created" in kinds


async def test_40_concurrent_writers_and_a_concurrent_reader_see_every_change_exactly_once_in_order(
    committed_client, committed_engine
):
    async with AsyncSession(committed_engine, expire_on_commit=False) as session, session.begin():
        _, write_secret = await create_key(session, "writers", ["catalog:write"])
        _, read_secret = await create_key(session, "reader", ["feeds:read"])
        start = await session.scalar(text("SELECT last_seq FROM change_counter"))
    writer = {"Authorization": f"Bearer {write_secret}"}
    reader = {"Authorization": f"Bearer {read_secret}"}
    prefix = unique_slug("cc")
    writing = True
    seen: list[int] = []

    async def write(n: int) -> None:
        for step in range(3):  # each writer commits three changes, one after another
            response = await committed_client.post(
                "/v1/providers", json={"id": f"{prefix}-{n}-{step}", "name": "x"}, headers=writer)
            assert response.status_code == 201, response.text

    async def read() -> None:
        cursor = encode_cursor(start)
        while True:
            still_writing = writing
            page = await _follow(committed_client, reader, cursor)
            seen.extend(entry["seq"] for entry in page["data"])
            cursor = page["next_cursor"]
            if not still_writing and not page["has_more"]:
                return
            await asyncio.sleep(0)

    reader_task = asyncio.create_task(read())
    await asyncio.gather(*[write(n) for n in range(40)])
    writing = False
    await reader_task
    async with committed_engine.connect() as connection:
        committed = list(await connection.scalars(text(
            "SELECT seq FROM catalog_changes WHERE seq > :start ORDER BY seq"), {"start": start}))
    assert len(committed) == 120
    assert seen == committed  # every change once, none repeated, in commit (= seq) order
    assert committed == list(range(start + 1, start + 121))  # and the numbering has no gaps


async def test_a_page_of_the_change_log_reads_in_proportion_to_the_page(session: AsyncSession):
    # 50,000 entries (rolled back with the test), analysed, so the planner chooses as it would on a long history.
    await session.execute(text(
        "INSERT INTO catalog_changes (seq, kind, object) SELECT 1000000 + n, 'provider.created', '{}'::jsonb "
        "FROM generate_series(1, 50000) AS n"))
    await session.execute(text("ANALYZE catalog_changes"))
    plan = (await session.execute(text(f"EXPLAIN (FORMAT JSON) {PAGE_QUERY}"),
                                  {"after": 1_020_000, "limit": 51})).scalar_one()
    scans = []

    def walk(node):
        scans.append(node["Node Type"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    assert "Seq Scan" not in scans and "Index Scan" in scans, scans
