"""Prices with rules, end to end: created through the API, then honoured by estimates, comparisons, months, feeds."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from decimal import Decimal

import pytest

from tests.factories import committed_model_and_key
from tests.problems import assert_problem

# The example: off-peak from 16:30 to 00:30 UTC on weekdays and all day at weekends, a long-context tier
# above 200K prompt tokens, and a batch rate at half price.
RULES = {
    "context_tiers": [{"above_prompt_tokens": 200000, "input_per_mtok": "2.50", "output_per_mtok": "15",
                       "cache_read_per_mtok": "0.25"}],
    "time_windows": [
        {"name": "off-peak", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "16:30", "end": "00:30",
         "multiplier": "0.5", "excluded_dates": ["2026-12-25"]},
        {"name": "weekend", "days": ["sat", "sun"], "start": "00:00", "end": "24:00", "multiplier": "0.5"},
    ],
    "variants": [{"kind": "batch", "multiplier": "0.5"}, {"kind": "priority", "multiplier": "1.75"}],
}
PRICE = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1.25", "output_per_mtok": "10",
         "cache_read_per_mtok": "0.125", "source": "test", "rules": RULES}
SESSION = {"input_tokens": 50_000, "output_tokens": 20_000}
MONDAY_NOON = "2026-11-23T12:00:00Z"


async def _ruled_model(client, engine, rules: dict = RULES) -> str:
    """A committed model priced with `rules`, once the snapshot has it."""
    model_id, headers = await committed_model_and_key(engine, "ruled")
    created = await client.post(f"/v1/models/{model_id}/prices", json={**PRICE, "rules": rules}, headers=headers)
    assert created.status_code == 201, created.text
    for _ in range(200):
        probe = await client.post("/v1/estimate", json={"model": model_id, **SESSION, "at": MONDAY_NOON})
        if probe.status_code == 200:
            return model_id
        await asyncio.sleep(0.01)
    raise AssertionError("the snapshot never saw the new price")


async def _estimate(client, model_id: str, **fields) -> dict:
    response = await client.post("/v1/estimate", json={"model": model_id, **SESSION, **fields})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_price_with_rules_is_stored_and_shown_in_canonical_form(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    listed = (await committed_client.get(f"/v1/models/{model_id}/prices")).json()["data"][0]["rules"]
    assert listed["context_tiers"] == [{"above_prompt_tokens": 200000, "input_per_mtok": "2.5",
                                        "output_per_mtok": "15", "cache_read_per_mtok": "0.25",
                                        "cache_write_per_mtok": None}]
    assert listed["time_windows"][0] == {"name": "off-peak", "timezone": "UTC",
                                         "days": ["mon", "tue", "wed", "thu", "fri"], "start": "16:30",
                                         "end": "00:30", "excluded_dates": ["2026-12-25"], "multiplier": "0.5"}
    effective = (await committed_client.get(f"/v1/models/{model_id}/price", params={"at": MONDAY_NOON})).json()
    assert effective["rules"] == listed


async def test_a_weekday_noon_is_the_standard_rate_and_a_weekend_the_off_peak_rate(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    peak = await _estimate(committed_client, model_id, requested_at=MONDAY_NOON)
    assert peak["cost"]["total"] == "0.2625"  # 50K x 1.25 + 20K x 10, per million
    assert peak["applied_rules"] == {"context_tier": None, "variant": None, "time_window": None}
    saturday = await _estimate(committed_client, model_id, requested_at="2026-11-28T12:00:00Z")
    assert saturday["cost"]["total"] == "0.13125"
    assert saturday["applied_rules"]["time_window"] == "weekend"
    assert saturday["rates"]["input_per_mtok"] == "0.625"
    assert saturday["price"]["effective"]["input_per_mtok"] == "1.25"  # the flat rate, before the window


async def test_a_window_crossing_midnight_prices_the_early_hours_of_the_next_day(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    tuesday_early = await _estimate(committed_client, model_id, requested_at="2026-11-24T00:15:00Z")
    assert tuesday_early["applied_rules"]["time_window"] == "off-peak"
    closed = await _estimate(committed_client, model_id, requested_at="2026-11-24T00:30:00Z")
    assert closed["cost"]["total"] == "0.2625"
    # Christmas is excluded: its evening, and the half hour after its midnight, are at the standard rate.
    christmas = await _estimate(committed_client, model_id, requested_at="2026-12-25T18:00:00Z")
    assert christmas["applied_rules"]["time_window"] is None


async def test_office_hours_in_berlin_follow_the_clock_across_the_march_dst_change(committed_client, committed_engine):
    peak = {"context_tiers": [], "variants": [], "time_windows": [
        {"name": "peak", "timezone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"],
         "start": "09:00", "end": "12:00", "multiplier": "2"}]}
    model_id = await _ruled_model(committed_client, committed_engine, peak)
    windows = {at: (await _estimate(committed_client, model_id, requested_at=at))["applied_rules"]["time_window"]
               for at in ("2026-03-27T08:30:00Z", "2026-03-27T10:30:00Z", "2026-03-30T07:30:00Z",
                          "2026-03-30T10:30:00Z")}
    # Friday in winter time (UTC+1): 09:30 and 11:30 local. Monday in summer time (UTC+2): 09:30 and 12:30 local.
    assert windows == {"2026-03-27T08:30:00Z": "peak", "2026-03-27T10:30:00Z": "peak",
                       "2026-03-30T07:30:00Z": "peak", "2026-03-30T10:30:00Z": None}


async def test_a_250k_token_prompt_pays_the_long_context_rate_on_every_token(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    long = await _estimate(committed_client, model_id, input_tokens=250_000, output_tokens=1_000,
                           requested_at=MONDAY_NOON)
    assert long["cost"]["total"] == "0.64"  # 250K x 2.5 + 1K x 15, per million
    assert long["applied_rules"]["context_tier"] == 200000
    at_threshold = await _estimate(committed_client, model_id, input_tokens=200_000, output_tokens=1_000,
                                   requested_at=MONDAY_NOON)
    assert at_threshold["cost"]["total"] == "0.26"  # 200K is not above 200K: 200K x 1.25 + 1K x 10


async def test_batch_halves_and_priority_raises_the_rate_and_an_unoffered_tier_is_a_422(
    committed_client, committed_engine
):
    model_id = await _ruled_model(committed_client, committed_engine)
    batch = await _estimate(committed_client, model_id, processing="batch", requested_at=MONDAY_NOON)
    assert (batch["cost"]["total"], batch["applied_rules"]["variant"]) == ("0.13125", "batch")
    priority = await _estimate(committed_client, model_id, service_tier="priority", requested_at=MONDAY_NOON)
    assert priority["cost"]["total"] == "0.459375"
    flex = await committed_client.post("/v1/estimate", json={"model": model_id, **SESSION, "service_tier": "flex"})
    assert flex.status_code == 422
    assert flex.json()["errors"][0]["field"] == "service_tier" and "no flex rate" in flex.json()["detail"]
    both = await committed_client.post("/v1/estimate", json={"model": model_id, **SESSION, "processing": "batch",
                                                             "service_tier": "priority"})
    assert both.status_code == 422


async def test_all_three_rules_combine_in_one_estimate(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    body = await _estimate(committed_client, model_id, input_tokens=300_000, output_tokens=10_000,
                           processing="batch", requested_at="2026-11-28T09:00:00Z")
    # 2.5 and 15 (tier) x 0.5 (batch) x 0.5 (weekend): 300K x 0.625 + 10K x 3.75, per million.
    assert body["rates"]["input_per_mtok"] == "0.625" and body["rates"]["output_per_mtok"] == "3.75"
    assert body["cost"]["total"] == "0.225"
    assert body["applied_rules"] == {"context_tier": 200000, "variant": "batch", "time_window": "weekend"}


async def test_get_estimate_takes_the_rule_inputs_too(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    response = await committed_client.get("/v1/estimate", params={
        "model": model_id, **SESSION, "processing": "batch", "requested_at": "2026-11-28T12:00:00Z"})
    assert response.status_code == 200
    assert response.json()["cost"]["total"] == "0.065625"
    assert response.headers["cache-control"] == "public, max-age=60"


async def test_without_requested_at_a_windowed_price_says_which_instant_it_priced(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    body = await _estimate(committed_client, model_id, at=MONDAY_NOON)
    assert body["requested_at"] == MONDAY_NOON
    assert any("send requested_at" in warning for warning in body["warnings"])
    assert not (await _estimate(committed_client, model_id, requested_at=MONDAY_NOON))["warnings"]


async def test_compare_with_batch_skips_models_without_a_batch_rate_unless_named(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    flat_id = await _ruled_model(committed_client, committed_engine, {})
    request = {"baseline": model_id, **SESSION, "processing": "batch", "at": MONDAY_NOON,
               "requested_at": MONDAY_NOON}
    compared = await committed_client.post("/v1/estimate/compare", json=request)
    assert compared.status_code == 200, compared.text
    models = {row["model"] for row in compared.json()["rows"]}
    assert model_id in models and flat_id not in models
    named = await committed_client.post("/v1/estimate/compare", json={**request, "models": [flat_id]})
    assert named.status_code == 422 and flat_id in named.json()["detail"]


async def test_a_month_of_office_hours_pays_off_peak_only_for_their_last_half_hour(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    response = await committed_client.post("/v1/estimate/monthly", json={
        "model": model_id, **SESSION, "sessions_per_month": 1000, "month": "2026-11",
        "distribution": {"kind": "hours", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00",
                         "end": "17:00"}})
    assert response.status_code == 200, response.text
    body = response.json()
    # 7.5 of 8 office hours at 0.2625 a session, the last half hour (16:30-17:00) at half of it.
    assert body["total"] == "254.296875"
    assert len(body["periods"]) == 21 * 2  # 21 weekdays in November 2026, each cut at 16:30
    assert {p["applied_rules"]["time_window"] for p in body["periods"]} == {None, "off-peak"}
    uniform = await committed_client.post("/v1/estimate/monthly", json={
        "model": model_id, **SESSION, "sessions_per_month": 1000, "month": "2026-11"})
    assert uniform.status_code == 200
    assert Decimal(uniform.json()["total"]) < Decimal("254.296875")  # nights and weekends too: cheaper


@pytest.mark.parametrize(("distribution", "pointer"), [
    ({"kind": "hours", "start": "09:00"}, "/distribution/end"),
    ({"kind": "office_hours", "start": "08:00"}, "/distribution/start"),
    ({"kind": "uniform", "days": ["mon"]}, "/distribution/days"),
    ({"kind": "hours", "start": "09:00", "end": "09:00"}, "/distribution/end"),
    ({"kind": "office_hours", "timezone": "Mars/Base"}, "/distribution/timezone"),
    ({"kind": "weekends"}, "/distribution/kind"),
    ({}, "/distribution/kind"),
])
async def test_a_bad_distribution_is_a_422_naming_the_field(client, distribution, pointer):
    response = await client.post("/v1/estimate/monthly", json={
        "model": "deepseek-v4-flash", **SESSION, "sessions_per_month": 10, "month": "2026-06",
        "distribution": distribution})
    assert_problem(response, 422, pointer=pointer)


async def test_the_price_feed_carries_the_rules_in_json_and_csv(committed_client, committed_engine):
    model_id = await _ruled_model(committed_client, committed_engine)
    flat_id = await _ruled_model(committed_client, committed_engine, {})
    _, reader = await committed_model_and_key(committed_engine, "feedreader", "feeds:read")
    feed = await committed_client.get("/v1/feeds/prices", params={"at": MONDAY_NOON}, headers=reader)
    row = next(r for r in feed.json()["data"] if r["model"] == model_id)
    assert row["rules"]["variants"] == [{"kind": "batch", "multiplier": "0.5"},
                                        {"kind": "priority", "multiplier": "1.75"}]
    table = await committed_client.get("/v1/feeds/prices", params={"at": MONDAY_NOON},
                                       headers={**reader, "Accept": "text/csv"})
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(table.text))}
    assert json.loads(rows[model_id]["rules"])["context_tiers"][0]["above_prompt_tokens"] == 200000
    assert rows[flat_id]["rules"] == ""
