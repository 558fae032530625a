"""The snapshot keeper applies committed changes model by model, and ends where a full reload would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.db.engine import make_sessionmaker
from service.snapshot.catalog_snapshot import CatalogSnapshot
from service.snapshot.keeper import SnapshotKeeper
from tests.factories import make_model, make_price, make_promotion, unique_slug

# Months still to come: a later commit closes January's period at February, which only the future allows.
JAN, FEB, MAR = (datetime(2030, month, 1, tzinfo=UTC) for month in (1, 2, 3))


def _contents(snapshot: CatalogSnapshot) -> tuple[list, dict]:
    # A timeline's stretches say everything it prices; the order of models is part of the contract (by id).
    stretches = {model_id: list(timeline.stretches(JAN.replace(year=2025), MAR.replace(year=2031)))
                 for model_id, timeline in snapshot.timelines.items()}
    return list(snapshot.models.values()), stretches


async def _keeper(url: str, engine: AsyncEngine) -> SnapshotKeeper:
    keeper = SnapshotKeeper(url, make_sessionmaker(engine))
    await keeper.reload()
    return keeper


async def _commit(engine: AsyncEngine, write) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await write(session)


async def test_applied_changes_give_the_snapshot_a_full_reload_gives(committed_database_url, committed_engine):
    keeper = await _keeper(committed_database_url, committed_engine)
    first, second = unique_slug("inc"), unique_slug("inc")

    async def two_models(session):
        await make_model(session, first)
        await make_model(session, second)
        await make_price(session, first, JAN, input_per_mtok="1")
        await make_price(session, second, JAN, input_per_mtok="3")

    await _commit(committed_engine, two_models)
    await keeper.refresh()

    async def later_changes(session):
        await make_price(session, first, FEB, input_per_mtok="0.5")  # closes January's open period
        await make_promotion(session, second, "25", FEB, MAR)

    await _commit(committed_engine, later_changes)
    await keeper.refresh()
    assert keeper.full_reloads == 1  # only the first load read everything
    incremental = keeper.current
    fresh = await _keeper(committed_database_url, committed_engine)
    assert incremental is not None and fresh.current is not None
    assert incremental.seq == fresh.current.seq
    assert _contents(incremental) == _contents(fresh.current)
    assert incremental.timelines[first].price_at(FEB).effective.input_per_mtok == 0.5


async def test_a_deleted_model_leaves_the_snapshot(committed_database_url, committed_engine):
    keeper = await _keeper(committed_database_url, committed_engine)
    model_id = unique_slug("gone")
    await _commit(committed_engine, lambda session: make_model(session, model_id))
    await keeper.refresh()
    assert model_id in keeper.current.models

    async def delete(session):
        await session.execute(text("DELETE FROM models WHERE id = :id"), {"id": model_id})

    await _commit(committed_engine, delete)
    await keeper.refresh()
    assert model_id not in keeper.current.models and model_id not in keeper.current.timelines
    assert keeper.full_reloads == 1


async def test_nothing_committed_leaves_the_same_snapshot(committed_database_url, committed_engine):
    keeper = await _keeper(committed_database_url, committed_engine)
    before = keeper.current
    await keeper.refresh()
    assert keeper.current is before


async def test_a_snapshot_ahead_of_the_log_is_reloaded_whole(committed_database_url, committed_engine):
    # As after a database restored from an older backup: the log does not go on from the snapshot.
    keeper = await _keeper(committed_database_url, committed_engine)
    keeper.current = keeper.current.updated([], {}, [], keeper.current.seq + 1000)
    await keeper.refresh()
    assert keeper.full_reloads == 2
    fresh = await _keeper(committed_database_url, committed_engine)
    assert keeper.current.seq == fresh.current.seq


async def test_the_keeper_stops_even_when_a_change_arrives_as_it_is_cancelled(committed_database_url, committed_engine):
    # On Python 3.11, asyncio.wait_for can swallow a cancellation that arrives as its event is set: a NOTIFY as the
    # app stopped could leave the keeper running forever, and the app's shutdown hang (seen twice in whole-suite runs
    # of tests/reliability/test_restart_under_writes.py; this storm alone did not reproduce the race). stop() must
    # end under a storm of changes however the cancellation lands.
    import asyncio

    for _ in range(20):
        keeper = SnapshotKeeper(committed_database_url, make_sessionmaker(committed_engine),
                               fallback_reload_seconds=60)
        await keeper.start()
        for _ in range(500):  # the listener connects in the background
            if keeper.connected:
                break
            await asyncio.sleep(0.01)

        async def notify_storm(keeper: SnapshotKeeper = keeper) -> None:
            while True:
                keeper._changed.set()
                await asyncio.sleep(0)

        storm = asyncio.create_task(notify_storm())
        await asyncio.sleep(0.01)
        await asyncio.wait_for(keeper.stop(), timeout=10)
        assert keeper._task is not None and keeper._task.done()
        storm.cancel()
