"""Every kind of quote repriced on today's knowledge (issue 18): a correction that takes a day off a launch discount
changes each kind's totals by exactly what the corrected stretch costs, and names the correction; without a
correction every difference is zero and no correction is named.

The corrected cases run on a committed catalog of their own (each write its own transaction, so its own record
time, after the quote's `known_at`); the uncorrected ones on the seed, rolled back."""

from __future__ import annotations

import asyncio
import secrets
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog.assumption_seed import load_assumptions_if_empty
from tests.estimates.test_repriced_quotes import THE_DAY, USAGE, _launched
from tests.factories import committed_model_and_key
from tests.problems import assert_problem

REASON = "the discount ended on May 4"
SEEDED = "deepseek-v4-flash"
DAY_BEFORE = "2026-05-03T12:00:00Z"
PROJECT = {"project": {"size": "small", "features": 3, "tooling": "chat"}}
SELF_HOST = {"gpu_hourly_usd": "2", "gpus": 1, "tokens_per_second": "100", "utilization": "0.5",
             "input_tokens": 1_000_000, "output_tokens": 0, "monthly_tokens": 1_000_000}


async def _quoted_then_corrected(client, engine, prefix: str, request) -> tuple[dict, dict, str]:
    """The quote of `request(model)` (a kind and its request), made before the discount is cut to end on May 4, and
    repriced after: (repriced, the correction, the model)."""
    model, keys = await _launched(client, engine, prefix)
    kind, body = request(model)
    created = await client.post("/v1/quotes", json={"kind": kind, "request": body})
    assert created.status_code == 201, created.text
    correction = await client.post(f"/v1/models/{model}/corrections", headers=keys, json={
        "reason": REASON, "valid_from": "2026-05-04T00:00:00Z", "valid_to": "2026-05-05T00:00:00Z",
        "promotions": []})
    assert correction.status_code == 201, correction.text
    repriced = await client.get(f"/v1/quotes/{created.json()['id']}/repriced")
    assert repriced.status_code == 200, repriced.text
    assert (await client.get(f"/v1/quotes/{created.json()['id']}")).content == created.content  # unchanged
    answer = repriced.json()
    assert answer["kind"] == kind and answer["known_at"] == created.json()["known_at"]
    assert answer["corrections"] == [{"id": correction.json()["id"], "reason": REASON}]
    return answer, correction.json(), model


def _totals(answer: dict) -> dict:
    return {(t["model"], t["field"]): (t["total_then"], t["total_now"], t["difference"]) for t in answer["totals"]}


async def test_a_batch_quote_repriced_differs_by_the_corrected_days_cost(committed_client, committed_engine):
    answer, _, _ = await _quoted_then_corrected(committed_client, committed_engine, "rebatch", lambda model: (
        "batch", {"items": [{"model": model, **USAGE}, {"model": model, **USAGE, "at": DAY_BEFORE}]}))
    # May 4 loses its discount (0.035 -> 0.14); May 3 keeps it.
    assert _totals(answer) == {(None, "total"): ("0.07", "0.175", "0.105")}
    assert (answer["total_then"], answer["total_now"], answer["difference"]) == ("0.07", "0.175", "0.105")


async def test_a_comparison_quote_repriced_differs_for_the_corrected_model_only(committed_client, committed_engine):
    other, _ = await _launched(committed_client, committed_engine, "reother", discount=False)
    answer, _, model = await _quoted_then_corrected(committed_client, committed_engine, "recompare", lambda model: (
        "compare", {"baseline": model, "models": [other], **USAGE}))
    assert _totals(answer) == {(model, "rows[].cost.total"): ("0.035", "0.14", "0.105"),
                               (other, "rows[].cost.total"): ("0.14", "0.14", "0")}
    assert answer["total_then"] is None and answer["difference"] is None  # one total per model: see `totals`


async def test_a_monthly_quote_repriced_differs_by_the_corrected_days_sessions(committed_client, committed_engine):
    answer, _, _ = await _quoted_then_corrected(committed_client, committed_engine, "remonth", lambda model: (
        "monthly", {"model": model, "input_tokens": 1_000_000, "output_tokens": 0, "sessions_per_month": 31,
                    "month": "2026-05"}))
    # 31 sessions over May's 31 days: one on May 4, which now costs 0.14 rather than 0.035.
    then, now, difference = _totals(answer)[(None, "total")]
    assert difference == "0.105" and Decimal(now) - Decimal(then) == Decimal("0.105")


async def _tooling_of_its_own(client, engine) -> str:
    """A tooling profile committed under a key of its own (this database has no seed; the sizes and retry factors
    are loaded if they are not there yet), once the snapshot has it."""
    key = f"retool-{secrets.token_hex(4)}"
    _, writer = await committed_model_and_key(engine, "retool")
    async with AsyncSession(engine) as session, session.begin():
        await load_assumptions_if_empty(session)
    figures = {"kind": "tooling", "sessions_per_feature": {"simple": "1", "moderate": "1", "complex": "1"},
               "first_prompt_tokens": 50_000, "output_tokens_per_turn": 20_000}
    made = await client.post("/v1/assumptions", headers=writer, json={
        "key": key, "figures": figures, "source": "test", "assumed": False, "valid_from": "2026-04-01T00:00:00Z"})
    assert made.status_code == 201, made.text
    return key


async def test_a_project_quote_repriced_differs_by_the_discount_taken_away(committed_client, committed_engine):
    tooling = await _tooling_of_its_own(committed_client, committed_engine)
    project = {"project": {"size": "small", "features": 3, "tooling": tooling}, "at": THE_DAY}
    for _ in range(200):  # until the snapshot has the profile
        if (await committed_client.post("/v1/estimate/project", json={**project, "all_models": True})).is_success:
            break
        await asyncio.sleep(0.01)
    answer, _, model = await _quoted_then_corrected(committed_client, committed_engine, "reproject", lambda model: (
        "project", {**project, "models": [model]}))
    then, now, difference = _totals(answer)[(model, "models[].cost.expected")]
    # Priced at one instant on May 4: the list price now, four times the discounted price then.
    assert Decimal(now) == 4 * Decimal(then) and Decimal(difference) == 3 * Decimal(then) > 0


async def test_a_self_host_quote_repriced_differs_in_the_api_price_it_is_compared_with(
    committed_client, committed_engine
):
    answer, _, model = await _quoted_then_corrected(committed_client, committed_engine, "reselfhost", lambda model: (
        "self-host", {**SELF_HOST, "compare_with": model, "at": THE_DAY}))
    assert _totals(answer) == {(model, "compare_with.api_per_mtok"): ("0.035", "0.14", "0.105"),
                               (model, "compare_with.api_monthly_cost"): ("0.035", "0.14", "0.105")}


SEEDED_USAGE = {"input_tokens": 1_000_000, "output_tokens": 0, "at": THE_DAY}
UNCORRECTED = [
    ("estimate", {"model": SEEDED, **SEEDED_USAGE}),
    ("batch", {"items": [{"model": SEEDED, **SEEDED_USAGE}, {"model": SEEDED, "input_tokens": 1, "output_tokens": 1},
                         {"model": "no-such-model", "input_tokens": 1, "output_tokens": 1}]}),
    ("compare", {"baseline": SEEDED, "models": ["deepseek-v4-pro"], "input_tokens": 1000, "output_tokens": 1000}),
    ("compare", {"baseline": SEEDED, "input_tokens": 1000, "output_tokens": 1000, "at": "2026-05-10"}),
    ("monthly", {"model": SEEDED, "input_tokens": 1000, "output_tokens": 10, "sessions_per_month": 100,
                 "month": "2026-05"}),
    ("monthly", {"mix": [{"model": SEEDED, "share": "0.5"}, {"model": "deepseek-v4-pro", "share": "0.5"}],
                 "input_tokens": 1000, "output_tokens": 10, "sessions_per_month": 100}),
    ("project", {**PROJECT, "models": [SEEDED, "gpt-4.1"], "at": "2026-05-10"}),
    ("project", {**PROJECT, "all_models": True, "at": "2026-05-10",
                 "strategies": [{"kind": "hybrid", "draft": SEEDED, "review": "gpt-4.1"}]}),
    ("self-host", {**SELF_HOST, "compare_with": SEEDED}),
]


@pytest.mark.parametrize(("kind", "request_body"), UNCORRECTED, ids=[f"{k}-{i}" for i, (k, _) in
                                                                      enumerate(UNCORRECTED)])
async def test_a_quote_repriced_without_a_correction_differs_by_zero_and_names_none(client, kind, request_body):
    created = await client.post("/v1/quotes", json={"kind": kind, "request": request_body})
    assert created.status_code == 201, created.text
    repriced = await client.get(f"/v1/quotes/{created.json()['id']}/repriced")
    assert repriced.status_code == 200, repriced.text
    answer = repriced.json()
    assert answer["totals"] and answer["corrections"] == []
    assert all(t["difference"] == "0" and t["total_then"] == t["total_now"] for t in answer["totals"]), answer
    assert (answer["difference"] == "0") == (kind in ("estimate", "batch", "monthly"))


async def test_a_self_host_quote_without_a_model_has_no_total_to_reprice(client):
    created = await client.post("/v1/quotes", json={"kind": "self-host", "request": SELF_HOST})
    assert created.status_code == 201, created.text
    answer = (await client.get(f"/v1/quotes/{created.json()['id']}/repriced")).json()
    assert answer["totals"] == [] and answer["corrections"] == [] and answer["total_then"] is None


async def test_repricing_a_quote_that_does_not_exist_is_a_404(client):
    assert_problem(await client.get("/v1/quotes/q_nosuchquote/repriced"), 404, type="not-found")
