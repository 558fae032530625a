"""Big batches priced in a batch process (service/estimates/batch_process.py): the same bytes as in process, never
from an older catalog than the serving process's, and a clean start and stop."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from dataclasses import replace
from datetime import UTC, datetime

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from service.estimates.answers import answer_batch, answer_project
from service.estimates.batch_process import BatchProcess
from service.estimates.limits import WorkLimits
from service.http.app import create_app
from service.settings import Settings
from tests.factories import make_model, make_price, unique_slug

UNLIMITED = "1000000/minute"
LIMITS = WorkLimits(batch_items=50)
# Items that price, and items that fail each in its own way: an unknown model, a bad field, a wrong type, not an
# object, a variant the price lacks, a date out of range, no price at that date.
ITEMS = [
    {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "at": "2026-05-10"},
    {"model": "deepseek-v4-flash", "input_tokens": 300_000, "cached_input_tokens": 100_000, "output_tokens": 1,
     "at": "2026-05-10T12:00:00Z", "sessions": 3, "retry_factor": "1.25"},
    {"model": "gpt-4.1", "input_tokens": 10, "output_tokens": 10, "cache_write_tokens": 3, "at": "2026-06-01"},
    {"model": "no-such-model", "input_tokens": 1, "output_tokens": 1, "at": "2026-05-10"},
    {"model": "gpt-4.1", "input_tokens": -1, "output_tokens": 1, "at": "2026-05-10"},
    {"model": "gpt-4.1", "input_tokens": "many", "output_tokens": 1},
    "not an object",
    {"model": "deepseek-v4-flash", "input_tokens": 1, "output_tokens": 1, "at": "2026-05-10", "service_tier": "flex"},
    {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "at": "0001-01-01"},
    {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "at": "2026-03-01"},
]


def batch_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, load_seed=False, rate_limit_public=UNLIMITED,
                    batch_processes=1, batch_process_min_bytes=0)


async def until_loaded(process: BatchProcess) -> None:
    for _ in range(600):
        if await process.loaded():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the batch process did not load its snapshot within 30 s")


def _children() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.pid is not None}


async def test_a_batch_priced_in_the_batch_process_is_the_same_bytes_as_in_process(database_url, snapshot_keeper):
    before = _children()
    process = BatchProcess(batch_settings(database_url))
    try:
        await until_loaded(process)
        assert _children() - before, "the batch process runs as a child of this process"
        body = msgspec.json.encode({"items": ITEMS})
        there = await process.answer(snapshot_keeper.current, body, LIMITS)
        here = answer_batch(snapshot_keeper.current, body, LIMITS)
        assert there is not None and there == here
        answer = msgspec.json.decode(there.body)
        assert answer["succeeded"] == 3 and answer["failed"] == 7  # the comparison covers both kinds
        too_many = msgspec.json.encode({"items": ITEMS * 6})  # 60 > 50: the 413 that names the limit
        there = await process.answer(snapshot_keeper.current, too_many, LIMITS)
        assert there is not None and there == answer_batch(snapshot_keeper.current, too_many, LIMITS)
        assert there.status == 413
    finally:
        await process.stop()
    assert not _children() - before, "the batch process is gone after stop"


async def test_the_batch_process_prices_from_a_catalog_no_older_than_the_serving_process(
        committed_database_url, committed_engine, committed_keeper):
    # The suite's committed database, not the seeded one: the browser tests expect that to hold the six models only.
    engine, snapshot_keeper = committed_engine, committed_keeper
    process = BatchProcess(batch_settings(committed_database_url))
    try:
        await until_loaded(process)
        model_id = unique_slug("batch-process")
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await make_model(session, model_id)
            await make_price(session, model_id, datetime(2027, 1, 1, tzinfo=UTC), input_per_mtok="3")
        await snapshot_keeper.refresh()  # this process has the commit; the batch process may not yet
        snapshot = snapshot_keeper.current
        body = msgspec.json.encode({"items": [{"model": model_id, "input_tokens": 1_000_000, "output_tokens": 0,
                                               "at": "2027-02-01"}]})
        there = await process.answer(snapshot, body, LIMITS)
        assert there is not None and there == answer_batch(snapshot, body, LIMITS)
        assert msgspec.json.decode(there.body)["data"][0]["result"]["cost"]["total"] == "3"
        # A snapshot the batch process cannot reach (a seq not yet committed): it declines after waiting, and the
        # caller prices the batch itself.
        assert await process.answer(replace(snapshot, seq=snapshot.seq + 1_000_000), body, LIMITS) is None
    finally:
        await process.stop()


async def test_a_served_app_prices_big_batches_in_its_batch_process_and_stops_it_on_shutdown(database_url):
    before = _children()
    app = create_app(batch_settings(database_url))
    body = msgspec.json.encode({"items": ITEMS})
    async with AsyncTestClient(app) as client:
        process: BatchProcess = app.state.batch_process
        await until_loaded(process)
        response = await client.post("/v1/estimate/batch", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 200
        assert response.content == answer_batch(app.state.snapshot_keeper.current, body).body
        assert process.answered == 1
        assert _children() - before
        # A project over every offering too; one over the article's six models stays in the serving process.
        for project, answered in ((ALL_MODELS_PROJECT, 2), (SIX_MODELS_PROJECT, 2)):
            body = msgspec.json.encode(project)
            response = await client.post("/v1/estimate/project", content=body,
                                         headers={"content-type": "application/json"})
            assert response.status_code == 200, response.text
            assert response.content == answer_project(app.state.snapshot_keeper.current, body).body
            assert process.answered == answered
    assert not _children() - before, "the app's shutdown stops its batch process"


SIX_MODELS_PROJECT = {
    "project": {"size": "medium", "features": 40, "tooling": "autonomous-agent"}, "at": "2026-05-10",
    "models": ["deepseek-v4-flash", "deepseek-v4-pro", "gpt-4.1", "claude-sonnet-4.6", "claude-opus-4.7", "gpt-5.5"],
    "strategies": [{"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"},
                   {"kind": "self-host", "profile": "a100-node"}]}
ALL_MODELS_PROJECT = {**{key: value for key, value in SIX_MODELS_PROJECT.items() if key != "models"},
                      "all_models": True}


async def test_a_project_priced_in_the_batch_process_is_the_same_bytes_as_in_process(database_url, snapshot_keeper):
    process = BatchProcess(batch_settings(database_url))
    try:
        await until_loaded(process)
        snapshot = snapshot_keeper.current
        for project in (ALL_MODELS_PROJECT, {**ALL_MODELS_PROJECT, "project": {"size": "huge", "features": 1,
                                                                               "tooling": "chat"}}):
            body = msgspec.json.encode(project)
            there = await process.answer(snapshot, body, LIMITS, project=True)
            assert there is not None and there == answer_project(snapshot, body, LIMITS)
            assert there.status == (200 if project is ALL_MODELS_PROJECT else 422)
        # More offerings than the limit: the 413 that names it.
        body = msgspec.json.encode(ALL_MODELS_PROJECT)
        few = WorkLimits(models=2)
        there = await process.answer(snapshot, body, few, project=True)
        assert there is not None and there == answer_project(snapshot, body, few) and there.status == 413
    finally:
        await process.stop()


def test_apps_made_in_code_start_no_batch_process_and_served_apps_one():
    assert Settings().batch_processes == 0
    assert Settings.from_env({}).batch_processes == 1
    assert Settings.from_env({"BATCH_PROCESSES": "0"}).batch_processes == 0


async def test_a_batch_process_that_dies_is_replaced_and_its_batch_priced_in_process(database_url, snapshot_keeper):
    before = _children()
    process = BatchProcess(batch_settings(database_url))
    try:
        await until_loaded(process)
        (child,) = _children() - before
        os.kill(child, signal.SIGKILL)
        body = msgspec.json.encode({"items": ITEMS})
        assert await process.answer(snapshot_keeper.current, body, LIMITS) is None  # the caller prices it
        await until_loaded(process)  # a new one
        there = await process.answer(snapshot_keeper.current, body, LIMITS)
        assert there == answer_batch(snapshot_keeper.current, body, LIMITS)
    finally:
        await process.stop()
    assert not _children() - before


async def test_the_batch_process_runs_in_the_idle_class_unless_turned_off(database_url):
    for idle, policy in ((True, os.SCHED_IDLE), (False, os.SCHED_OTHER)):
        before = _children()
        process = BatchProcess(replace(batch_settings(database_url), batch_process_idle=idle))
        try:
            await until_loaded(process)
            (child,) = _children() - before
            assert os.sched_getscheduler(child) == policy
            assert os.getpriority(os.PRIO_PROCESS, child) == os.getpriority(os.PRIO_PROCESS, 0) + 10
        finally:
            await process.stop()


def test_the_idle_class_is_a_setting_on_by_default():
    assert Settings.from_env({}).batch_process_idle
    assert not Settings.from_env({"BATCH_PROCESS_IDLE": "0"}).batch_process_idle
    with pytest.raises(ValueError, match="BATCH_PROCESS_IDLE must be one of 1, 0"):
        Settings.from_env({"BATCH_PROCESS_IDLE": "maybe"})
