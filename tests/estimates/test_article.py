"""The seed article's numbers, through the HTTP API at its date. Where the article rounds or slips, the exact
value is asserted and the test name says so."""

from __future__ import annotations

import pytest

AT = "2026-05-10T12:00:00Z"
SESSION = {"input_tokens": 50_000, "output_tokens": 20_000, "at": AT}


async def estimate(client, **body) -> dict:
    response = await client.post("/v1/estimate", json={**SESSION, **body})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("model", "input_cost", "output_cost", "total"),
    [
        ("deepseek-v4-flash", "0.007", "0.0056", "0.0126"),  # article rounds the total to $0.013
        ("deepseek-v4-pro", "0.02175", "0.0174", "0.03915"),  # article: $0.022, $0.017, $0.039
        ("gpt-4.1", "0.1", "0.16", "0.26"),
        ("claude-sonnet-4.6", "0.15", "0.3", "0.45"),
        ("claude-opus-4.7", "0.25", "0.5", "0.75"),
        ("gpt-5.5", "0.25", "0.6", "0.85"),
    ],
)
async def test_a_50k_in_20k_out_session_costs_exactly_where_the_article_rounds(client, model, input_cost,
                                                                                output_cost, total):
    body = await estimate(client, model=model)
    assert (body["cost"]["input"], body["cost"]["output"], body["cost"]["total"]) == (input_cost, output_cost, total)
    assert body["warnings"] == []


async def test_the_ratio_table_gpt_4_1_is_14_29_and_28_57_times_v4_flash_where_the_article_says_14x_29x(client):
    response = await client.post("/v1/estimate/compare", json={"baseline": "deepseek-v4-flash", **SESSION})
    assert response.status_code == 200, response.text
    rows = {row["model"]: row for row in response.json()["rows"]}
    # (input, output) ratios; the article's table rounds them to 1x, 3.1x, 14x/29x, 21x/54x, 36x/89x, 36x/107x.
    expected = {
        "deepseek-v4-flash": ("1", "1"), "deepseek-v4-pro": ("3.11", "3.11"), "gpt-4.1": ("14.29", "28.57"),
        "claude-sonnet-4.6": ("21.43", "53.57"), "claude-opus-4.7": ("35.71", "89.29"), "gpt-5.5": ("35.71", "107.14"),
    }
    assert {m: (r["input_ratio"], r["output_ratio"]) for m, r in rows.items()} == expected
    assert [row["model"] for row in response.json()["rows"]] == [
        "deepseek-v4-flash", "deepseek-v4-pro", "gpt-4.1", "claude-sonnet-4.6", "claude-opus-4.7", "gpt-5.5",
    ]
    # "Even compared to GPT-4.1 ... V4-Flash is 20x cheaper"; GPT-5.5 "roughly 65x more": exactly 20.63 and 67.46.
    assert rows["gpt-4.1"]["total_ratio"] == "20.63"
    assert rows["gpt-5.5"]["total_ratio"] == "67.46"


@pytest.mark.parametrize(("model", "total"), [("deepseek-v4-flash", "12.6"), ("gpt-5.5", "850"),
                                              ("claude-opus-4.7", "750")])
async def test_1000_sessions_a_month_cost_what_the_article_says(client, model, total):
    response = await client.post("/v1/estimate/monthly", json={
        "model": model, "input_tokens": 50_000, "output_tokens": 20_000, "sessions_per_month": 1000, "at": AT})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == total


async def test_a_session_with_cache_hits_charges_them_at_the_cache_price(client):
    body = await estimate(client, model="deepseek-v4-flash", cached_input_tokens=40_000)
    assert body["cost"] == {"input": "0.0014", "cached_input": "0.000112", "output": "0.0056",
                            "cache_write": "0", "per_session": "0.007112", "total": "0.007112"}


async def test_the_1_8x_retry_adjusted_session_costs_0_02268_where_the_article_rounds_to_0_023(client):
    body = await estimate(client, model="deepseek-v4-flash", retry_factor="1.8")
    assert body["cost"]["per_session"] == "0.0126"
    assert body["cost"]["total"] == "0.02268"


async def test_1000_launch_discount_sessions_cost_3_15_where_the_article_slips_to_3_25(client):
    body = await estimate(client, model="deepseek-v4-flash", sessions=1000, at="2026-04-30")
    assert body["price"]["effective"]["input_per_mtok"] == "0.035"
    assert body["cost"]["per_session"] == "0.00315"
    assert body["cost"]["total"] == "3.15"


async def test_may_2026_is_priced_in_two_parts_across_the_end_of_the_launch_discount(client):
    response = await client.post("/v1/estimate/monthly", json={
        "model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000,
        "sessions_per_month": 1000, "month": "2026-05"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(p["from"], p["to"], p["per_session"], p["cost"]) for p in body["periods"]] == [
        ("2026-05-01T00:00:00Z", "2026-05-05T00:00:00Z", "0.00315", "0.4064516129"),
        ("2026-05-05T00:00:00Z", "2026-06-01T00:00:00Z", "0.0126", "10.9741935484"),
    ]
    assert body["total"] == "11.3806451613"
