"""POST /v1/estimate/project: the article's checks out of the API, exactly, and the plan, trace and refusals."""

from __future__ import annotations

import asyncio
import secrets
import time
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog.assumption_seed import load_assumptions_if_empty
from service.pricing.money import format_decimal
from tests.factories import committed_model_and_key
from tests.problems import assert_problem

ARTICLE_MODELS = ["deepseek-v4-flash", "deepseek-v4-pro", "gpt-4.1", "claude-sonnet-4.6", "claude-opus-4.7", "gpt-5.5"]


def _request(mix: dict[str, str], **extra: object) -> dict:
    project = {"size": "small", "features": 1, "tooling": "chat", "mix": mix}
    return {"project": project, "models": ARTICLE_MODELS, "at": "2026-05-10", **extra}


async def _estimate(client, body: dict) -> dict:
    response = await client.post("/v1/estimate/project", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _model(answer: dict, model: str) -> dict:
    return next(row for row in answer["models"] if row["model"] == model)


async def test_one_simple_session_on_v4_flash_costs_exactly_0_0126(client):
    answer = await _estimate(client, _request({"simple": "1"}))
    flash = _model(answer, "deepseek-v4-flash")
    assert flash["per_session"]["cost"] == {"low": "0.0126", "expected": "0.0126", "high": "0.0126"}
    assert flash["cost"] == {"low": "0.0126", "expected": "0.0126", "high": "0.0126"}  # chat: one session
    assert flash["per_session"]["input_tokens"] == 50_000 and flash["per_session"]["output_tokens"] == 20_000


async def test_a_complex_session_is_0_02268_at_worst_on_v4_flash_and_gpt_5_5_is_0_85_and_37_48_times_that(client):
    answer = await _estimate(client, _request({"complex": "1"}, baseline="deepseek-v4-flash"))
    flash, gpt = _model(answer, "deepseek-v4-flash"), _model(answer, "gpt-5.5")
    [complex_part] = [part for part in flash["by_complexity"] if part["complexity"] == "complex"]
    assert complex_part["retry_factor"] == {"low": "1.6", "high": "1.8"}
    sessions = complex_part["sessions"]  # chat: sessions per complex feature
    assert flash["cost"]["high"] == _times("0.02268", sessions)
    assert gpt["per_session"]["cost"]["low"] == "0.85" and gpt["cost"]["low"] == _times("0.85", sessions)
    [gpt_plan] = [plan for plan in answer["plans"] if plan["plan"] == "gpt-5.5"]
    assert gpt_plan["at_least_times_baseline"] == "37.48"
    assert answer["models"][0]["model"] == "deepseek-v4-flash"  # cheapest first


def _times(amount: str, count: str) -> str:
    return format_decimal(Decimal(amount) * Decimal(count))


async def test_every_assumption_used_is_named_with_its_id_version_and_source(client):
    answer = await _estimate(client, _request({"complex": "1"}))
    used = {(item["kind"], item["key"]) for item in answer["assumptions"]}
    assert used == {("tooling", "chat"), ("project-size", "small"), ("retry-factor", "deepseek-v4-flash"),
                    ("retry-factor", "default")}
    assert all(item["version"] >= 1 and item["source"] and item["id"] for item in answer["assumptions"])


async def test_the_hybrid_and_self_host_plans_are_ranked_beside_the_models_with_a_break_even(client):
    strategies = [{"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"},
                  {"kind": "self-host", "profile": "a100-node"}]
    body = {"project": {"size": "medium", "features": 40, "tooling": "ide-assistant"}, "models": ARTICLE_MODELS,
            "at": "2026-05-10", "strategies": strategies}
    answer = await _estimate(client, body)
    plans = {plan["plan"]: plan for plan in answer["plans"]}
    assert {"hybrid:deepseek-v4-flash+claude-opus-4.7", "self-host:a100-node"} <= plans.keys()
    expected = [float(plan["cost"]["expected"]) for plan in answer["plans"]]
    assert expected == sorted(expected)
    flash, opus = plans["deepseek-v4-flash"]["cost"], plans["claude-opus-4.7"]["cost"]
    hybrid = plans["hybrid:deepseek-v4-flash+claude-opus-4.7"]["cost"]
    assert float(flash["expected"]) < float(hybrid["expected"]) < float(opus["expected"])
    [even] = answer["break_even"]
    assert even["cost_per_mtok_range"] == {"low": "0.02", "high": "0.04"} and even["node_monthly_usd"] == "10220"
    by_model = {row["model"]: row for row in even["models"]}
    assert by_model["gpt-5.5"]["monthly_tokens"] is not None
    for row in answer["models"]:
        assert float(row["cost"]["low"]) <= float(row["cost"]["expected"]) <= float(row["cost"]["high"])


async def test_all_models_prices_every_offering_priced_at_the_instant(client):
    body = {"project": {"size": "small", "features": 3, "tooling": "chat"}, "all_models": True, "at": "2026-05-10"}
    answer = await _estimate(client, body)
    assert {row["model"] for row in answer["models"]} >= set(ARTICLE_MODELS)


@pytest.mark.parametrize(("change", "pointer", "kind"), [
    ({"project": {"size": "small", "features": 1, "tooling": "typewriter"}}, "/project/tooling", "validation-error"),
    ({"project": {"size": "huge", "features": 1, "tooling": "chat"}}, "/project/size", "validation-error"),
    ({"models": []}, "/models", "validation-error"),
    ({"project": {"size": "small", "features": -1, "tooling": "chat"}}, "/project/features", "validation-error"),
    ({"project": {"size": "small", "features": 1, "tooling": "chat", "mix": {"simple": "0.5", "complex": "0.4"}}},
     "/project/mix", "invalid-amount"),
    ({"project": {"size": "small", "features": 1, "tooling": "chat", "mix": {"simple": "-1"}}},
     "/project/mix/simple", "invalid-amount"),
    ({"provider": "deepseek"}, "/models", "validation-error"),
    ({"strategies": [{"kind": "self-host", "profile": "a100-node", "utilization": "1.5"}]},
     "/strategies/0/utilization", "invalid-amount"),
    ({"strategies": [{"kind": "self-host", "profile": "moon-base"}]}, "/strategies/0/profile", "validation-error"),
    ({"strategies": [{"kind": "teleport"}]}, "/strategies/0/kind", "validation-error"),
    ({"at": "yesterday"}, None, "invalid-instant"),
    ({"baseline": "deepseek-v4-flash", "models": ["gpt-5.5"]}, "/baseline", "validation-error"),
    ({"strategies": [{"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "gpt-5.5",
                      "review_share": {"complex": "2"}}]}, "/strategies/0/review_share/complex", "invalid-amount"),
])
async def test_bad_input_is_a_422_naming_the_field(client, change, pointer, kind):
    body = {**_request({"simple": "1"}), **change}
    assert_problem(await client.post("/v1/estimate/project", json=body), 422, type=kind, pointer=pointer)


async def test_an_unknown_model_is_a_404(client):
    body = _request({"simple": "1"}, models=["no-such-model"])
    assert_problem(await client.post("/v1/estimate/project", json=body), 404, type="not-found")


async def test_the_launch_promotion_in_force_at_the_instant_is_applied(client):
    answer = await _estimate(client, _request({"simple": "1"}, at="2026-04-30", models=["deepseek-v4-flash"]))
    assert _model(answer, "deepseek-v4-flash")["per_session"]["cost"]["expected"] == "0.00315"  # 75% off


async def _estimate_once_seen(client, body: dict, within: float = 1.0) -> dict:
    """The keeper applies a commit within milliseconds of its NOTIFY; poll until it has."""
    deadline = time.monotonic() + within
    while True:
        response = await client.post("/v1/estimate/project", json=body)
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response.json()
        await asyncio.sleep(0.01)


async def test_a_committed_assumption_reaches_the_next_estimates_and_is_named_with_its_version(
        committed_client, committed_engine):
    # Committed for real, so that the snapshot keeper (not this test's transaction) must see it; a key of its own
    # keeps it away from every other test of the committed database.
    key = f"chat-{secrets.token_hex(4)}"
    model_id, writer = await committed_model_and_key(committed_engine, "proj")
    price = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "0.14", "output_per_mtok": "0.28", "source": "t"}
    assert (await committed_client.post(f"/v1/models/{model_id}/prices", json=price, headers=writer)).status_code == 201
    async with AsyncSession(committed_engine) as session, session.begin():
        await load_assumptions_if_empty(session)  # the sizes and retry factors; this database has no seed
    figures = {"kind": "tooling", "sessions_per_feature": {"simple": "1", "moderate": "1", "complex": "1"},
               "first_prompt_tokens": 50_000, "output_tokens_per_turn": 20_000}
    first = await committed_client.post("/v1/assumptions", headers=writer, json={
        "key": key, "figures": figures, "source": "test: measured", "assumed": False,
        "valid_from": "2026-05-01T00:00:00Z"})
    assert first.status_code == 201, first.text
    body = {**_request({"simple": "1"}), "models": [model_id],
            "project": {"size": "small", "features": 1, "tooling": key, "mix": {"simple": "1"}}}
    before = await _estimate_once_seen(committed_client, body)
    assert _model(before, model_id)["cost"]["expected"] == "0.0126"
    figures["sessions_per_feature"] = {"simple": "3", "moderate": "3", "complex": "3"}
    second = await committed_client.post("/v1/assumptions", headers=writer, json={
        "key": key, "figures": figures, "source": "test: measured", "assumed": False,
        "valid_from": "2026-06-01T00:00:00Z"})
    assert second.status_code == 201, second.text
    later = {**body, "at": "2026-07-01"}
    deadline = time.monotonic() + 1.0
    after = await _estimate_once_seen(committed_client, later)
    while _model(after, model_id)["cost"]["expected"] != "0.0378" and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
        after = await _estimate_once_seen(committed_client, later)
    assert _model(after, model_id)["cost"]["expected"] == "0.0378"  # three sessions a feature
    [tooling_then] = [item for item in after["assumptions"] if item["key"] == key]
    assert tooling_then["version"] == 2 and tooling_then["id"] == second.json()["id"]
    again = await _estimate(committed_client, body)  # the first version still prices its own period
    assert _model(again, model_id)["cost"]["expected"] == "0.0126"


async def test_an_assumption_in_this_transaction_only_is_not_seen_by_estimates(client, writer):
    """Estimates price from the committed catalog's snapshot: an uncommitted version is no part of it."""
    figures = {"kind": "tooling", "sessions_per_feature": {"simple": "3", "moderate": "3", "complex": "3"},
               "first_prompt_tokens": 50_000, "output_tokens_per_turn": 20_000}
    added = await client.post("/v1/assumptions", headers=writer, json={
        "key": "chat", "figures": figures, "source": "test: measured", "assumed": False,
        "valid_from": "2026-06-01T00:00:00Z"})
    assert added.status_code == 201, added.text
    after = await _estimate(client, {**_request({"simple": "1"}), "at": "2026-07-01"})
    assert _model(after, "deepseek-v4-flash")["cost"]["expected"] == "0.0126"


async def test_without_the_breakdown_the_totals_and_plans_are_the_same(client):
    full = await _estimate(client, _request({"complex": "1"}))
    lean = await _estimate(client, _request({"complex": "1"}, breakdown=False))
    assert all(row["by_complexity"] == [] for row in lean["models"])
    assert lean["plans"] == full["plans"]
    assert [row["cost"] for row in lean["models"]] == [row["cost"] for row in full["models"]]
