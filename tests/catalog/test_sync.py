"""`catalog sync`: the real LiteLLM and genai-prices files from a local HTTP server, with 304s, 500s, truncated
bodies and a changed price; a failed run changes nothing, and every run is recorded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from service.catalog.importing.sync import LOCK_KEY, SyncSource, parse_sources, run_sync
from service.db.models import ModelRow, PriceRow, ProviderRow, SyncRunRow
from service.settings import Settings
from tests.catalog.upstream import UpstreamServer, genai_prices_file, litellm_file
from tests.factories import make_model, make_provider

CURRENT = PriceRow.superseded_at.is_(None)  # the rows the catalog says now (migration 0019)

LITELLM = litellm_file()
GENAI = genai_prices_file()


@pytest.fixture
def upstream() -> Iterator[UpstreamServer]:
    with UpstreamServer() as server:
        server.upstream.files = {"/litellm.json": LITELLM, "/genai.json": GENAI}
        yield server


@pytest.fixture
async def sessions(connection: AsyncConnection) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    # A sync's commit becomes a savepoint's release inside the test's transaction, rolled back after the test.
    yield async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    return (await session.scalar(select(func.count()).select_from(ProviderRow)) or 0,
            await session.scalar(select(func.count()).select_from(ModelRow)) or 0,
            await session.scalar(select(func.count()).select_from(PriceRow)) or 0)


async def test_the_real_litellm_map_is_imported_once_then_a_304_changes_nothing(upstream, sessions, session):
    source = SyncSource(upstream.url("/litellm.json"), "litellm")
    first = await run_sync(sessions, source)
    assert first is not None and first.run.outcome == "applied", first.run.error
    assert first.run.http_status == 200 and first.run.etag and first.run.last_modified
    assert first.run.models_created > 3000 and first.run.prices_added >= first.run.models_created
    assert first.run.skipped == len(first.report.skipped) > 0  # each left-out entry has its line and reason
    after_first = await _counts(session)

    second = await run_sync(sessions, source)
    assert second is not None and second.run.outcome == "not_modified" and second.run.http_status == 304
    assert upstream.upstream.requests[-1]["If-None-Match"] == first.run.etag
    assert upstream.upstream.requests[-1]["If-Modified-Since"] == first.run.last_modified
    assert await _counts(session) == after_first


async def test_a_changed_price_in_the_real_genai_prices_data_becomes_one_new_period(upstream, sessions, session):
    source = SyncSource(upstream.url("/genai.json"), "genai-prices")
    first = await run_sync(sessions, source)
    assert first is not None and first.run.outcome == "applied", first.run.error
    assert first.run.models_created > 1500

    data = json.loads(GENAI)
    model = next(m for m in data if m["id"] == "anthropic")["models"][0]
    assert isinstance(model["prices"], dict), "the first Anthropic model has one flat price"
    model["prices"]["output_mtok"] = 123
    upstream.upstream.files["/genai.json"] = json.dumps(data).encode()
    changed = await run_sync(sessions, source)
    assert changed is not None and changed.run.outcome == "applied", changed.run.error
    assert changed.run.prices_added == 1 and changed.run.models_created == 0
    assert changed.report.changes == [
        f"~ model {model['id']}: new period from {changed.run.started_at.isoformat()} at "
        f"{model['prices']['input_mtok']}/123 per 1M (in/out)"]
    periods = list(await session.scalars(
        select(PriceRow).where(PriceRow.model_id == model["id"], CURRENT).order_by(PriceRow.valid_from)))
    assert [p.valid_to for p in periods] == [changed.run.started_at, None]  # the old one closed, history kept
    assert periods[-1].output_per_mtok == 123 and periods[-1].source == f"sync:{source.url}"


async def test_a_server_without_validators_sending_the_same_file_changes_nothing(upstream, sessions, session):
    upstream.upstream.validators = False
    source = SyncSource(upstream.url("/genai.json"), "genai-prices")
    await run_sync(sessions, source)
    before = await _counts(session)
    again = await run_sync(sessions, source)
    assert again is not None and again.run.outcome == "unchanged" and again.run.http_status == 200
    assert "If-None-Match" not in upstream.upstream.requests[-1]
    assert await _counts(session) == before


@pytest.mark.parametrize("fault", ["500", "truncated", "cut short without a length", "404"])
async def test_a_source_that_fails_records_a_failed_run_and_changes_nothing(upstream, sessions, session, fault):
    source = SyncSource(upstream.url("/litellm.json"), "litellm")
    if fault == "500":
        upstream.upstream.fail_with = 500
    elif fault == "truncated":
        upstream.upstream.truncate = True
    elif fault == "404":
        source = SyncSource(upstream.url("/nothing.json"), "litellm")
    else:
        upstream.upstream.files["/litellm.json"] = LITELLM[: len(LITELLM) // 2]
    before = await _counts(session)
    result = await run_sync(sessions, source)
    assert result is not None and result.run.outcome == "failed" and result.report is None
    assert result.run.error and result.run.models_created == 0
    assert await _counts(session) == before
    stored = await session.get(SyncRunRow, result.run.id)
    assert stored is not None and stored.outcome == "failed"


async def test_a_sync_that_fails_halfway_through_the_import_changes_nothing(upstream, sessions, session):
    # Together already sells this model here under its bare id, so the map's `together/…` offering of it is a
    # second one that the database refuses (one offering per provider and model), after thousands of providers and
    # models were written: the whole import goes, not only that entry.
    if await session.get(ProviderRow, "together") is None:
        await make_provider(session, "together")
    await make_model(session, "llama-3.3-70b-instruct-turbo", provider="together")
    before = await _counts(session)
    result = await run_sync(sessions, SyncSource(upstream.url("/litellm.json"), "litellm"))
    assert result is not None and result.run.outcome == "failed" and "IntegrityError" in (result.run.error or "")
    assert await _counts(session) == before
    assert await session.get(ModelRow, "together/llama-3.3-70b-instruct-turbo") is None


async def test_a_dry_run_reports_the_diff_keeps_nothing_and_leaves_the_validators_alone(upstream, sessions, session):
    source = SyncSource(upstream.url("/genai.json"), "genai-prices")
    before = await _counts(session)
    dry = await run_sync(sessions, source, dry_run=True)
    assert dry is not None and dry.run.dry_run and dry.run.outcome == "applied"
    assert dry.run.models_created > 1500 and any(line.startswith("+ model ") for line in dry.report.changes)
    assert all(": " in line for line in dry.report.skipped)  # what is left out says why
    assert await _counts(session) == before
    real = await run_sync(sessions, source)
    assert real is not None and real.run.http_status == 200 and real.run.outcome == "applied"  # no If-None-Match
    assert "If-None-Match" not in upstream.upstream.requests[-1]


async def test_a_run_that_finds_the_lock_taken_or_is_not_due_does_nothing(upstream, sessions, session, engine):
    source = SyncSource(upstream.url("/genai.json"), "genai-prices")
    upstream.upstream.fail_with = 500
    # Another process holds the lock: a scheduled run (wait=False) skips its turn without a row. (First: once this
    # test's own transaction holds the lock, it keeps it until the test ends.)
    async with engine.connect() as other, other.begin():
        await other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        assert await run_sync(sessions, source, wait=False) is None
    assert await session.scalar(select(func.count()).select_from(SyncRunRow)) == 0
    assert (await run_sync(sessions, source)) is not None
    assert await run_sync(sessions, source, wait=False, due_after=timedelta(hours=1)) is None
    assert await run_sync(sessions, source, wait=False, due_after=timedelta(seconds=0)) is not None
    assert await session.scalar(select(func.count()).select_from(SyncRunRow)) == 2


async def test_sync_runs_are_listed_newest_first_with_filters_and_pages(upstream, sessions, client):
    source = SyncSource(upstream.url("/genai.json"), "genai-prices")
    upstream.upstream.fail_with = 500
    failed = await run_sync(sessions, source)
    upstream.upstream.fail_with = None
    upstream.upstream.files["/genai.json"] = b"[]"
    empty = await run_sync(sessions, source)
    assert failed is not None and empty is not None and empty.run.outcome == "unchanged"

    page = (await client.get("/v1/sync-runs", params={"source_url": source.url, "limit": 1})).json()
    assert [run["id"] for run in page["data"]] == [empty.run.id] and page["next_cursor"]
    rest = (await client.get("/v1/sync-runs", params={"source_url": source.url, "cursor": page["next_cursor"]})).json()
    assert [(run["id"], run["outcome"], run["http_status"]) for run in rest["data"]] == [
        (failed.run.id, "failed", None)]
    assert rest["data"][0]["error"] == "SyncError: the source answered HTTP 500" and rest["next_cursor"] is None
    only_failed = (await client.get("/v1/sync-runs", params={"outcome": "failed", "source_url": source.url})).json()
    assert [run["id"] for run in only_failed["data"]] == [failed.run.id]
    assert (await client.get("/v1/sync-runs", params={"outcome": "sideways"})).status_code == 422


def test_sync_settings_are_read_and_checked():
    assert Settings.from_env({"SYNC_INTERVAL": "30m"}).sync_interval_seconds == 1800
    assert Settings.from_env({}).sync_interval_seconds == 3600
    for bad in ("0", "soon", "-5m"):
        with pytest.raises(ValueError, match="SYNC_INTERVAL"):
            Settings.from_env({"SYNC_INTERVAL": bad})
    assert parse_sources("litellm=https://a.example/x.json, genai-prices=http://b.example/d.json") == (
        SyncSource("https://a.example/x.json", "litellm"), SyncSource("http://b.example/d.json", "genai-prices"))
    for bad in ("https://a.example/x.json", "csv=https://a.example/x", "litellm=file:///etc/passwd"):
        with pytest.raises(ValueError, match="SYNC_SOURCES"):
            parse_sources(bad)
