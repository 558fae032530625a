"""/v1/models pages cut from the snapshot: the same bytes, ETags and cursors as the database's, without a query."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.api.pagination import encode_cursor
from service.catalog import queries, schemas
from tests.catalog.test_list_caching import settled
from tests.factories import make_provider, unique_slug

# Ids whose order differs between code points and a linguistic collation ("a-c" < "ab" only by code point).
SUFFIXES = ("b", "a-c", "ab", "a.b", "a_b", "a0", "a")


@contextlib.contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _answers(client, provider: str) -> list[tuple[int, bytes, str]]:
    """A provider's list page by page, the unfiltered first pages, a cursor inside and past the end, no match."""
    asked = [{"limit": 3}, {"limit": 2, "cursor": encode_cursor(f"{provider}-a-c")}, {"provider": "no-such-one"},
             {"provider": provider, "cursor": encode_cursor(f"{provider}-zzz")}, {"provider": provider, "limit": 500}]
    cursor = None
    while True:  # a provider's whole list, two at a time
        params = {"provider": provider, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/models", params=params)
        asked.append(params)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    answers = []
    for params in asked:
        response = await client.get("/v1/models", params=params)
        answers.append((response.status_code, response.content, response.headers["etag"]))
    return answers


async def test_model_pages_from_the_snapshot_are_the_databases_byte_for_byte(app, committed_client, committed_engine):
    provider = unique_slug("snaplist")
    async with AsyncSession(committed_engine, expire_on_commit=False) as session, session.begin():
        await make_provider(session, provider)
        for number, suffix in enumerate(SUFFIXES):
            await queries.create_model(session, schemas.ModelCreate(
                id=f"{provider}-{suffix}", provider=provider, name=f"Model {suffix}", open_weights=number % 2 == 0,
                context_window=1000 * (number + 1) if number % 3 else None))
    await settled(app.state.snapshot_keeper, committed_engine)
    await committed_client.get("/v1/models")  # the first list asks the database how it orders text
    with statements_on(committed_engine) as from_snapshot_statements:
        from_snapshot = await _answers(committed_client, provider)
    async with committed_engine.connect() as connection:
        order_by_code_point = await connection.scalar(text("SELECT 'a-c' < 'ab' AND 'a/b' < 'a0' AND 'Z' < 'a'"))
        # Sessions that join a connection's transaction can see uncommitted rows: those pages come from the database.
        app.state.sessionmaker = async_sessionmaker(bind=connection, expire_on_commit=False)
        with statements_on(committed_engine) as from_database_statements:
            from_database = await _answers(committed_client, provider)
    assert from_database_statements  # really read from the database
    assert from_snapshot == from_database
    assert (from_snapshot_statements == []) == order_by_code_point
    assert all(status == 200 for status, _, _ in from_snapshot)
    whole = [model["id"] for model in json.loads(from_snapshot[4][1])["data"]]
    assert sorted(whole) == sorted(f"{provider}-{suffix}" for suffix in SUFFIXES)


async def test_while_the_snapshot_may_be_behind_the_list_is_read_from_the_database(app, committed_client,
                                                                                  committed_engine):
    keeper = app.state.snapshot_keeper
    await settled(keeper, committed_engine)
    await committed_client.get("/v1/models")  # the first list asks the database how it orders text
    with statements_on(committed_engine) as caught_up:
        expected = await committed_client.get("/v1/models", params={"limit": 5})
    keeper.connected = False  # as while the listener is reconnecting: commits may be missing from the snapshot
    try:
        with statements_on(committed_engine) as behind:
            answer = await committed_client.get("/v1/models", params={"limit": 5})
    finally:
        keeper.connected = True
    assert behind and len(behind) > len(caught_up)
    assert (answer.status_code, answer.content, answer.headers["etag"]) == (
        expected.status_code, expected.content, expected.headers["etag"])
