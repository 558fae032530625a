"""The change log written once per statement (migration 0010): one entry per row, in row order, as row triggers did."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.catalog.importing.formats import ImportedModel, ImportedPrice, Parsed
from service.catalog.importing.importer import apply_import
from service.pricing.rules import FLAT
from tests.factories import unique_slug

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


async def _entries_after(session: AsyncSession, start: int) -> list[tuple[int, str, dict]]:
    rows = await session.execute(text("SELECT seq, kind, object FROM catalog_changes WHERE seq > :start ORDER BY seq"),
                                 {"start": start})
    return [(row.seq, row.kind, row.object) for row in rows]


async def _last_seq(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT last_seq FROM change_counter")))


async def test_a_multi_row_statement_logs_each_row_in_order_with_the_rows_own_shape(session):
    start = await _last_seq(session)
    slug = unique_slug("bulk")
    await session.execute(text(
        "INSERT INTO providers (id, name) SELECT :slug || '-' || n, 'P' || n FROM generate_series(1, 5) AS n "
        "ORDER BY n DESC"), {"slug": slug})
    await session.execute(text("UPDATE providers SET name = name || '!' WHERE id LIKE :slug || '-%' AND id <> "
                               ":slug || '-3'"), {"slug": slug})
    entries = await _entries_after(session, start)
    assert [seq for seq, _, _ in entries] == list(range(start + 1, start + 10))  # consecutive, no gaps
    assert await _last_seq(session) == start + 9
    assert [kind for _, kind, _ in entries] == ["provider.created"] * 5 + ["provider.updated"] * 4
    # The inserts in the order the statement made them, each object exactly to_jsonb of the row as stored then.
    assert [obj["id"] for _, _, obj in entries[:5]] == [f"{slug}-{n}" for n in (5, 4, 3, 2, 1)]
    stored = dict((await session.execute(text(
        "SELECT id, to_jsonb(p) FROM providers p WHERE id LIKE :slug || '-%'"), {"slug": slug})).all())
    assert all(obj == stored[obj["id"]] for _, _, obj in entries[5:])
    assert all(obj["name"].endswith("!") for _, _, obj in entries[5:])
    assert {obj["id"] for _, _, obj in entries[5:]} == {f"{slug}-{n}" for n in (1, 2, 4, 5)}


async def test_a_delete_logs_the_old_row_and_a_statement_that_changes_nothing_takes_no_number(session):
    model = (await session.execute(text("SELECT id FROM models ORDER BY id LIMIT 1"))).scalar_one()
    promotion = (await session.execute(text(
        "INSERT INTO promotions (model_id, name, percent_off, valid_from, valid_to, source) "
        "VALUES (:model, 'gone', 10, '2031-01-01Z', '2031-02-01Z', 'test') RETURNING to_jsonb(promotions)"),
        {"model": model})).scalar_one()
    start = await _last_seq(session)
    await session.execute(text("UPDATE providers SET name = 'x' WHERE id = 'no-such-provider'"))
    await session.execute(text("DELETE FROM promotions WHERE id = -1"))
    assert await _last_seq(session) == start
    # A promotion is never deleted (migration 0019): withdrawn, it is superseded, and logged as a delete.
    withdrawn = (await session.execute(text(
        "UPDATE promotions SET superseded_at = now(), withdrawn = true WHERE id = :id RETURNING to_jsonb(promotions)"),
        {"id": promotion["id"]})).scalar_one()
    assert withdrawn["withdrawn"] and withdrawn["superseded_at"] is not None
    assert await _entries_after(session, start) == [(start + 1, "promotion.deleted", withdrawn)]


async def test_an_import_logs_what_it_adds_row_by_row_in_the_files_order(session):
    slug = unique_slug("imp")
    models = [ImportedModel(id=f"{slug}-{n}", provider=slug, name=f"M{n}", context_window=None, prices=[
        ImportedPrice(valid_from=None, input_per_mtok=Decimal(n), output_per_mtok=Decimal(2 * n), rules=FLAT)])
        for n in (3, 1, 2)]
    start = await _last_seq(session)
    report = await apply_import(session, Parsed(models=models), "import:test", NOW)
    assert (report.providers_created, report.models_created, report.prices_added) == (1, 3, 3)
    entries = await _entries_after(session, start)
    assert [seq for seq, _, _ in entries] == list(range(start + 1, start + 8))
    assert [(kind, obj.get("model_id", obj["id"])) for _, kind, obj in entries] == [
        ("provider.created", slug), ("model.created", f"{slug}-3"), ("model.created", f"{slug}-1"),
        ("model.created", f"{slug}-2"), ("price.created", f"{slug}-3"), ("price.created", f"{slug}-1"),
        ("price.created", f"{slug}-2")]
    assert [obj["input_per_mtok"] for _, _, obj in entries[4:]] == [3, 1, 2]
    again = await apply_import(session, Parsed(models=models), "import:test", NOW)
    assert (again.unchanged, again.prices_added) == (3, 0)
    assert len(await _entries_after(session, start)) == 7  # an unchanged re-import writes nothing


async def test_concurrent_bulk_writers_each_get_one_unbroken_run_of_numbers_in_commit_order(
    committed_engine: AsyncEngine,
):
    prefix = unique_slug("bw")
    async with committed_engine.connect() as connection:
        start = int(await connection.scalar(text("SELECT last_seq FROM change_counter")))

    async def write(n: int) -> None:
        async with AsyncSession(committed_engine) as session, session.begin():
            for step in range(2):  # two statements of 20 rows in one transaction
                await session.execute(text(
                    "INSERT INTO providers (id, name) SELECT :p || '-' || k, 'x' FROM generate_series(1, 20) AS k"),
                    {"p": f"{prefix}-{n}-{step}"})
                await asyncio.sleep(0)

    await asyncio.gather(*[write(n) for n in range(8)])
    async with committed_engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT seq, object->>'id' FROM catalog_changes WHERE seq > :start ORDER BY seq"), {"start": start})).all()
    assert [seq for seq, _ in rows] == list(range(start + 1, start + 321))
    writers = [provider.split("-")[-3] for _, provider in rows]
    runs = [writers[i:i + 40] for i in range(0, 320, 40)]
    assert all(len(set(run)) == 1 for run in runs)  # a transaction's entries are never split by another's
    assert sorted(run[0] for run in runs) == sorted(str(n) for n in range(8))
