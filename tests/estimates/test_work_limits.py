"""What one estimate request may ask for is bounded by settings; past a bound, a 413 naming the limit and setting."""

from __future__ import annotations

import httpx
import pytest

from service.http.app import create_app
from service.settings import Settings
from tests.problems import assert_problem

SESSION = {"input_tokens": 50_000, "output_tokens": 20_000, "at": "2026-05-10"}
ITEM = {"model": "deepseek-v4-flash", **SESSION}


@pytest.fixture
async def bounded(database_url, engine, snapshot_keeper, connection):
    from tests.conftest import _rolled_back_sessions

    app = create_app(Settings(database_url=database_url, estimate_max_batch_items=3, estimate_max_models=2))
    app.state.engine, app.state.snapshot_keeper = engine, snapshot_keeper
    app.state.sessionmaker = _rolled_back_sessions(connection)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


@pytest.mark.parametrize("idempotent", [False, True])  # the fast path, and the routes the edge runs with a key
async def test_a_batch_over_the_setting_is_a_413_naming_it_and_one_at_it_is_priced(bounded, idempotent):
    for n, (count, status) in enumerate(((3, 200), (4, 413))):
        headers = {"Idempotency-Key": f"batch-limit-{n}"} if idempotent else {}
        response = await bounded.post("/v1/estimate/batch", json={"items": [ITEM] * count}, headers=headers)
        assert response.status_code == status, response.text
    problem = assert_problem(response, 413, type="batch-too-large")
    assert "ESTIMATE_MAX_BATCH_ITEMS" in problem["detail"] and "at most 3" in problem["detail"]


async def test_a_project_over_the_model_limit_is_a_413_whether_listed_or_all(bounded):
    project = {"project": {"size": "small", "features": 1, "tooling": "chat"}, "at": "2026-05-10"}
    two = await bounded.post("/v1/estimate/project", json={**project, "models": ["deepseek-v4-flash", "gpt-5.5"]})
    assert two.status_code == 200, two.text
    for body in ({**project, "models": ["deepseek-v4-flash", "gpt-5.5", "gpt-4.1"]}, {**project, "all_models": True}):
        problem = assert_problem(await bounded.post("/v1/estimate/project", json=body), 413, type="batch-too-large")
        assert "ESTIMATE_MAX_MODELS" in problem["detail"]


async def test_monthly_models_over_the_limit_is_a_413_naming_the_setting(bounded):
    body = {"models": ["deepseek-v4-flash", "gpt-5.5", "gpt-4.1"], "input_tokens": 1000, "output_tokens": 100,
            "sessions_per_month": 10, "month": "2026-05"}
    problem = assert_problem(await bounded.post("/v1/estimate/monthly/models", json=body), 413, type="batch-too-large")
    assert "ESTIMATE_MAX_MODELS" in problem["detail"] and "2" in problem["detail"]


async def test_a_quoted_batch_keeps_the_same_bound(bounded):
    response = await bounded.post("/v1/quotes", json={"kind": "batch", "request": {"items": [ITEM] * 4}})
    assert_problem(response, 413, type="batch-too-large")


def test_the_limits_are_settings_from_1_to_10000():
    assert Settings.from_env({"ESTIMATE_MAX_BATCH_ITEMS": "500"}).estimate_max_batch_items == 500
    assert Settings.from_env({}).estimate_max_models == 10_000
    with pytest.raises(ValueError, match="ESTIMATE_MAX_MODELS"):
        Settings.from_env({"ESTIMATE_MAX_MODELS": "20000"})
