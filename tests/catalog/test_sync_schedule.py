"""`serve`'s scheduled sync and the `catalog sync` command, on databases of their own (they really commit)."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from service.catalog.importing.schedule import SyncScheduler
from service.catalog.importing.sync import SyncSource
from service.db import migrations
from service.db.engine import make_engine, make_sessionmaker
from service.db.models import SyncRunRow
from service.http.observability import AppStateCollector
from tests.catalog.upstream import UpstreamServer, genai_prices_file

GENAI = genai_prices_file()


async def _runs(url: str) -> list[SyncRunRow]:
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(SyncRunRow).order_by(SyncRunRow.id)))
    finally:
        await engine.dispose()


async def test_two_workers_on_one_schedule_sync_a_source_once_a_turn_and_show_it_in_metrics(make_database, caplog):
    url = await asyncio.to_thread(make_database)  # both run event loops of their own
    await asyncio.to_thread(migrations.upgrade, url)
    engine = make_engine(url, pool_size=2)
    with UpstreamServer() as server:
        server.upstream.files = {"/genai.json": GENAI}
        good, bad = SyncSource(server.url("/genai.json"), "genai-prices"), SyncSource(server.url("/gone"), "litellm")
        workers = [SyncScheduler(url, make_sessionmaker(engine), (good, bad), timedelta(hours=1)) for _ in range(2)]
        for worker in workers:
            await worker.start()
        try:
            with caplog.at_level(logging.INFO, logger="service.sync"):
                await asyncio.gather(*(worker.tick() for worker in workers))
                await asyncio.gather(*(worker.tick() for worker in workers))  # not due again for half an hour
        finally:
            for worker in workers:
                await worker.stop()
    await engine.dispose()

    runs = await _runs(url)
    assert sorted((run.source_url, run.outcome) for run in runs) == [(good.url, "applied"), (bad.url, "failed")]
    assert sum(sum(worker.runs.values()) for worker in workers) == 2  # one process did each, once
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "service.sync"]
    assert ("INFO", f"catalog sync of {good.url}: applied") in lines
    assert ("ERROR", f"catalog sync of {bad.url}: failed") in lines

    applied = next(run for run in runs if run.outcome == "applied")
    seen = _samples(workers[0])  # any worker shows the last runs, whichever process did them
    assert seen[("catalog_sync_last_run_failed", bad.url)] == 1
    assert seen[("catalog_sync_last_run_failed", good.url)] == 0
    assert seen[("catalog_sync_last_success_timestamp_seconds", good.url)] == applied.finished_at.timestamp()
    assert ("catalog_sync_last_success_timestamp_seconds", bad.url) not in seen
    did = next(worker for worker in workers if worker.runs[(good.url, "applied")])
    assert _samples(did)[("catalog_sync_runs_total", "applied", good.url)] == 1


def _samples(scheduler: SyncScheduler) -> dict[tuple[str, ...], float]:
    registry = CollectorRegistry()
    registry.register(AppStateCollector({"sync_scheduler": scheduler}))  # type: ignore[arg-type]
    return {(sample.name, *(value for _, value in sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(generate_latest(registry).decode())
            for sample in family.samples}


def test_the_cli_syncs_dry_runs_and_answers_304_then_fails_cleanly(make_database):
    url = make_database()
    migrations.upgrade(url)
    env = {**os.environ, "DATABASE_URL": url}
    with UpstreamServer() as server:
        server.upstream.files = {"/genai.json": GENAI}
        cli = [sys.executable, "-m", "service.cli", "catalog", "sync", server.url("/genai.json"),
               "--format", "genai-prices"]

        def run(*extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*cli, *extra], capture_output=True, text=True, env=env, timeout=300)

        dry = run("--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "+ model claude-2 (anthropic) at 8/24 per 1M (in/out)" in dry.stdout
        assert "would add" in dry.stdout and "(HTTP 200, dry run: nothing kept)" in dry.stdout
        assert ": skipped: " in dry.stderr  # what is left out, each with its reason
        real = run()
        assert real.returncode == 0 and "sync run 2: applied (HTTP 200)" in real.stdout, real.stderr
        again = run()
        assert again.returncode == 0 and "sync run 3: not modified since the last sync (HTTP 304)" in again.stdout
        server.upstream.fail_with = 500
        failed = run()
        assert failed.returncode == 1
        assert "sync run 4 failed, nothing was changed: SyncError: the source answered HTTP 500" in failed.stderr
    outcomes = [(run.dry_run, run.outcome) for run in asyncio.run(_runs(url))]
    assert outcomes == [(True, "applied"), (False, "applied"), (False, "not_modified"), (False, "failed")]


async def test_serve_with_sync_sources_syncs_at_start_and_shows_the_run(make_database):
    from litestar.testing import AsyncTestClient

    from service.http.app import create_app
    from service.settings import Settings

    url = await asyncio.to_thread(make_database)
    await asyncio.to_thread(migrations.upgrade, url)
    with UpstreamServer() as server:
        server.upstream.files = {"/genai.json": GENAI}
        source = server.url("/genai.json")
        app = create_app(Settings(database_url=url, load_seed=False, sync_sources=f"genai-prices={source}"))
        async with AsyncTestClient(app) as client:  # runs the app's startup, which starts the schedule
            for _ in range(300):
                runs = (await client.get("/v1/sync-runs")).json()["data"]
                if runs:
                    break
                await asyncio.sleep(0.1)
            assert [(run["source_url"], run["outcome"]) for run in runs] == [(source, "applied")]
            gauge = f'catalog_sync_last_run_failed{{source="{source}"}} 0.0'
            for _ in range(100):  # the worker reads the last runs back just after the run
                if gauge in (metrics := (await client.get("/metrics")).text):
                    break
                await asyncio.sleep(0.1)
            assert gauge in metrics and f'catalog_sync_runs_total{{outcome="applied",source="{source}"}} 1.0' in metrics
            assert (await client.get("/v1/models/claude-2")).status_code == 200
