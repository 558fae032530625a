"""`known_at` on POST /v1/estimate/compare, /monthly and /monthly/models (issue 18): priced as the catalog said at a
record time, from the database, naming the corrections known then; without it, from the snapshot, byte for byte as
before."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from service.estimates import as_of_comparisons
from service.snapshot.catalog_snapshot import snapshot_known_at
from tests.catalog.test_known_at import SEEDED, THE_DAY, TICK, _end_the_discount_a_day_earlier
from tests.problems import assert_problem

REASON = "the discount ended on May 4"
USAGE = {"input_tokens": 1_000_000, "output_tokens": 0}
MONTH = {**USAGE, "sessions_per_month": 1}


def _with(body: dict, known_at) -> dict:
    return body if known_at is None else {**body, "known_at": known_at.isoformat()}


async def test_a_comparison_as_known_before_a_correction_and_after_it(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    body = {**USAGE, "baseline": SEEDED, "models": [SEEDED], "at": THE_DAY}
    before = (await client.post("/v1/estimate/compare", json=_with(body, now - TICK))).json()
    after = (await client.post("/v1/estimate/compare", json=_with(body, now))).json()
    assert (before["rows"][0]["cost"]["total"], after["rows"][0]["cost"]["total"]) == ("0.035", "0.14")
    assert before["corrections"] == []
    assert after["corrections"] == [{"id": correction["id"], "reason": REASON}]
    today = (await client.post("/v1/estimate/compare", json=body)).json()
    assert "known_at" not in today and "corrections" not in today


async def test_a_comparison_of_every_model_as_known_then_ranks_the_catalog_of_then(client, session):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    body = {**USAGE, "baseline": SEEDED, "at": THE_DAY}
    today = (await client.post("/v1/estimate/compare", json=body)).json()
    then = (await client.post("/v1/estimate/compare", json=_with(body, now - TICK))).json()
    # Before the correction (and in the test's snapshot, which the rolled-back correction never reaches) the same.
    assert then["rows"] == today["rows"]


async def test_a_month_at_one_instant_as_known_before_a_correction_and_after_it(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    body = {**MONTH, "model": SEEDED, "at": THE_DAY}
    before = (await client.post("/v1/estimate/monthly", json=_with(body, now - TICK))).json()
    after = (await client.post("/v1/estimate/monthly", json=_with(body, now))).json()
    assert (before["total"], after["total"]) == ("0.035", "0.14")
    assert before["corrections"] == [] and after["corrections"] == [{"id": correction["id"], "reason": REASON}]


async def test_a_calendar_month_as_known_after_a_correction_names_it_and_costs_more(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    body = {**MONTH, "model": SEEDED, "month": "2026-05"}
    before = (await client.post("/v1/estimate/monthly", json=_with(body, now - TICK))).json()
    after = (await client.post("/v1/estimate/monthly", json=_with(body, now))).json()
    assert after["corrections"] == [{"id": correction["id"], "reason": REASON}] and before["corrections"] == []
    assert Decimal(after["total"]) > Decimal(before["total"])  # the corrected day is charged at the list price
    unmarked = (await client.post("/v1/estimate/monthly", json={**MONTH, "model": SEEDED, "month": "2026-06"}))
    assert "corrections" not in unmarked.json()


async def test_months_on_many_models_as_known_then(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    body = {**MONTH, "models": [SEEDED, "no-such-model"], "at": THE_DAY}
    answer = (await client.post("/v1/estimate/monthly/models", json=_with(body, now))).json()
    found, missing = answer["data"]
    assert found["result"]["total"] == "0.14" and datetime.fromisoformat(found["result"]["known_at"]) == now
    assert found["result"]["corrections"] == [{"id": correction["id"], "reason": REASON}]
    assert not missing["ok"]


async def test_a_known_at_that_is_no_instant_is_a_422_on_each(client):
    for path, body in (("compare", {**USAGE, "baseline": SEEDED}), ("monthly", {**MONTH, "model": SEEDED}),
                       ("monthly/models", {**MONTH, "models": [SEEDED]})):
        answer = await client.post(f"/v1/estimate/{path}", json={**body, "known_at": "yesterday"})
        assert_problem(answer, 422, field="known_at")


async def test_a_quote_of_a_comparison_with_known_at_is_refused_rather_than_ignored(client, session):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    request = _with({**USAGE, "baseline": SEEDED, "at": THE_DAY}, now)
    answer = await client.post("/v1/quotes", json={"kind": "compare", "request": request})
    assert_problem(answer, 422, field="known_at")


async def test_a_quote_of_a_batch_with_known_at_is_refused_rather_than_ignored(client, session):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    request = {"known_at": now.isoformat(), "items": [{**USAGE, "model": SEEDED, "at": THE_DAY}]}
    answer = await client.post("/v1/quotes", json={"kind": "batch", "request": request})
    assert_problem(answer, 422, field="known_at")


class _Asked:
    """snapshot_known_at as the routes call it, recording which models each call asked for (None: every model)."""

    def __init__(self) -> None:
        self.model_ids: list[set[str] | None] = []

    def __call__(self, session, snapshot, known_at, model_ids=None):
        self.model_ids.append(None if model_ids is None else set(model_ids))
        return snapshot_known_at(session, snapshot, known_at, model_ids)


async def test_a_comparison_as_known_then_reads_only_the_models_it_compares(client, session, monkeypatch):
    asked = _Asked()
    known_at = (await session.scalar(select(func.now()))).isoformat()  # the seed is known then
    monkeypatch.setattr(as_of_comparisons, "snapshot_known_at", asked)
    named = await client.post("/v1/estimate/compare", json={
        **USAGE, "baseline": SEEDED, "models": ["deepseek-v4-pro", SEEDED], "at": THE_DAY, "known_at": known_at})
    offerings = await client.post("/v1/estimate/compare", json={
        **USAGE, "baseline": SEEDED, "offerings_of": SEEDED, "at": THE_DAY, "known_at": known_at})
    catalog = await client.post("/v1/estimate/compare", json={**USAGE, "baseline": SEEDED, "at": THE_DAY,
                                                               "known_at": known_at})
    assert (named.status_code, offerings.status_code, catalog.status_code) == (200, 200, 200), named.text
    assert {row["model"] for row in named.json()["rows"]} == {SEEDED, "deepseek-v4-pro"}
    offered = {row["model"] for row in offerings.json()["rows"]}
    assert asked.model_ids == [{SEEDED, "deepseek-v4-pro"}, offered, None]  # only the whole catalog's compare reads all


async def test_a_month_as_known_then_reads_only_the_models_of_its_mix(client, session, monkeypatch):
    asked = _Asked()
    known_at = (await session.scalar(select(func.now()))).isoformat()  # the seed is known then
    monkeypatch.setattr(as_of_comparisons, "snapshot_known_at", asked)
    mix = [{"model": SEEDED, "share": "0.5"}, {"model": "deepseek-v4-pro", "share": "0.5"}]
    answer = await client.post("/v1/estimate/monthly", json={**MONTH, "mix": mix, "month": "2026-05",
                                                             "known_at": known_at})
    assert answer.status_code == 200, answer.text
    assert asked.model_ids == [{SEEDED, "deepseek-v4-pro"}]
