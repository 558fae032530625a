"""Rules on a new price period: checked field by field, and stored only with the period they belong to."""

from __future__ import annotations

import pytest

from tests.factories import make_model

PRICE = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "test"}
WINDOW = {"name": "off-peak", "days": ["mon"], "start": "16:30", "end": "00:30", "multiplier": "0.5"}
TIER = {"above_prompt_tokens": 200000, "input_per_mtok": "2", "output_per_mtok": "4"}


@pytest.mark.parametrize(("rules", "field"), [
    ({"time_windows": [{**WINDOW, "timezone": "Mars/Olympus"}]}, "rules.time_windows[0].timezone"),
    ({"time_windows": [{**WINDOW, "end": "16:30"}]}, "rules.time_windows[0].end"),
    ({"time_windows": [{**WINDOW, "days": ["mon", "mon"]}]}, "rules.time_windows[0].days"),
    ({"time_windows": [WINDOW, {**WINDOW, "multiplier": "0"}]}, "rules.time_windows[1].multiplier"),
    ({"time_windows": [{**WINDOW, "multiplier": "0.1234567"}]}, "rules.time_windows[0].multiplier"),
    ({"context_tiers": [TIER, {**TIER, "above_prompt_tokens": 100000}]}, "rules.context_tiers"),
    ({"context_tiers": [{**TIER, "input_per_mtok": "0.0000000000001"}]}, "rules.context_tiers[0].input_per_mtok"),
    ({"context_tiers": [{**TIER, "output_per_mtok": "1000000000000"}]}, "rules.context_tiers[0].output_per_mtok"),
    ({"variants": [{"kind": "batch", "multiplier": "0.5"}, {"kind": "batch", "multiplier": "0.4"}]},
     "rules.variants"),
    ({"variants": [{"kind": "priority", "multiplier": "10.5"}]}, "rules.variants[0].multiplier"),
])
async def test_bad_rules_are_a_422_naming_the_field(client, session, writer, rules, field):
    model = await make_model(session)
    response = await client.post(f"/v1/models/{model.id}/prices", json={**PRICE, "rules": rules}, headers=writer)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_unknown_rule_fields_and_variant_kinds_are_a_422(client, session, writer):
    model = await make_model(session)
    url = f"/v1/models/{model.id}/prices"
    for rules in ({"windows": []}, {"variants": [{"kind": "cheap", "multiplier": "0.5"}]},
                  {"time_windows": [{**WINDOW, "days": ["monday"]}]}):
        assert (await client.post(url, json={**PRICE, "rules": rules}, headers=writer)).status_code == 422


async def test_a_price_without_rules_is_a_flat_rate_with_empty_rule_lists(client, session, writer):
    model = await make_model(session)
    created = await client.post(f"/v1/models/{model.id}/prices", json=PRICE, headers=writer)
    assert created.status_code == 201
    assert created.json()["rules"] == {"context_tiers": [], "time_windows": [], "variants": []}


async def test_a_rule_change_is_a_new_period_and_the_old_rules_stay_in_history(client, session, writer):
    model = await make_model(session)
    url = f"/v1/models/{model.id}/prices"
    first = {**PRICE, "rules": {"variants": [{"kind": "batch", "multiplier": "0.5"}]}}
    second = {**PRICE, "valid_from": "2030-06-01T00:00:00Z", "rules": {"variants": [{"kind": "batch",
                                                                                    "multiplier": "0.4"}]}}
    assert (await client.post(url, json=first, headers=writer)).status_code == 201
    assert (await client.post(url, json=second, headers=writer)).status_code == 201
    history = (await client.get(url)).json()["data"]
    assert [(p["valid_to"], p["rules"]["variants"][0]["multiplier"]) for p in history] == [
        ("2030-06-01T00:00:00Z", "0.5"), (None, "0.4")]
    at = (await client.get(f"/v1/models/{model.id}/price", params={"at": "2026-03-01"})).json()
    assert at["rules"]["variants"] == [{"kind": "batch", "multiplier": "0.5"}]
