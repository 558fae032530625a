"""The estimate endpoints beyond the article: validation, warnings, caching, batches, mixes, self-hosting."""

from __future__ import annotations

AT = "2026-05-10T12:00:00Z"
SESSION = {"input_tokens": 50_000, "output_tokens": 20_000, "at": AT}


async def test_cached_tokens_with_no_known_cache_price_are_charged_at_the_input_price_with_a_warning(client):
    body = (await client.post("/v1/estimate", json={"model": "deepseek-v4-pro", **SESSION,
                                                    "cached_input_tokens": 10_000})).json()
    assert body["cost"]["cached_input"] == "0.00435"
    assert len(body["warnings"]) == 1 and "cache_read_per_mtok is unknown" in body["warnings"][0]


async def test_more_cached_than_input_tokens_is_a_422_naming_the_field(client):
    response = await client.post("/v1/estimate", json={"model": "gpt-4.1", **SESSION, "cached_input_tokens": 60_000})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cached_input_tokens"


async def test_a_retry_factor_outside_1_to_10_is_a_422(client):
    for factor in ("0.5", "10.01"):
        response = await client.post("/v1/estimate", json={"model": "gpt-4.1", **SESSION, "retry_factor": factor})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "retry_factor"


async def test_a_model_with_a_trailing_newline_is_a_422(client):
    response = await client.post("/v1/estimate", json={"model": "gpt-4.1\n", **SESSION})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "model"


async def test_a_json_number_retry_factor_is_read_exactly(client):
    body = (await client.post("/v1/estimate", json={"model": "deepseek-v4-flash", **SESSION,
                                                    "retry_factor": 1.8})).json()
    assert body["retry_factor"] == "1.8" and body["cost"]["total"] == "0.02268"


async def test_an_unknown_model_is_a_404_and_a_model_not_yet_priced_is_a_no_price_404(client):
    unknown = await client.post("/v1/estimate", json={"model": "gpt-9", **SESSION})
    assert unknown.status_code == 404 and unknown.json()["type"] == "/problems/not-found"
    early = await client.post("/v1/estimate", json={"model": "gpt-4.1", **SESSION, "at": "2026-04-30"})
    assert early.status_code == 404 and early.json()["type"] == "/problems/no-price-at-instant"


async def test_get_estimate_is_cacheable_with_an_etag_and_answers_304_when_it_matches(client):
    params = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "at": AT}
    first = await client.get("/v1/estimate", params=params)
    assert first.status_code == 200
    assert first.json()["cost"]["total"] == "0.0126"
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    again = await client.get("/v1/estimate", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    now = await client.get("/v1/estimate", params={k: v for k, v in params.items() if k != "at"})
    assert now.headers["cache-control"] == "no-cache"


async def test_a_batch_answers_each_item_and_totals_the_good_ones(client):
    items = [
        {"model": "deepseek-v4-flash", **SESSION},
        {"model": "gpt-9", **SESSION},
        {"model": "gpt-4.1", **SESSION, "sessions": 2},
        {"model": "gpt-4.1", "input_tokens": "lots", "output_tokens": 1},
    ]
    response = await client.post("/v1/estimate/batch", json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["ok"] for item in body["data"]] == [True, False, True, False]
    assert body["data"][1]["error"]["status"] == 404
    assert body["data"][3]["error"]["status"] == 422 and "items[3]" in body["data"][3]["error"]["detail"]
    assert [error["field"] for error in body["data"][3]["error"]["errors"]] == ["input_tokens"]
    assert "errors" not in body["data"][1]["error"]  # a 404 names no field
    assert body["total"] == "0.5326"  # 0.0126 + 2 x 0.26
    assert (body["succeeded"], body["failed"]) == (2, 2)


async def test_a_batch_item_that_is_not_an_object_fails_alone(client):
    items = [{"model": "gpt-4.1", **SESSION}, None, 5, "x", []]
    response = await client.post("/v1/estimate/batch", json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["ok"] for item in body["data"]] == [True, False, False, False, False]
    assert body["succeeded"] == 1 and body["total"] == body["data"][0]["result"]["cost"]["total"]
    for index, item in enumerate(body["data"][1:], start=1):
        assert item["error"]["status"] == 422
        assert item["error"]["detail"].startswith(f"items[{index}]: Expected `object`"), item
        assert [error["field"] for error in item["error"]["errors"]] == ["body"]


async def test_a_batch_of_more_than_10000_items_is_a_413(client):
    response = await client.post("/v1/estimate/batch", json={"items": [{"model": "x"}] * 10_001})
    assert response.status_code == 413
    assert "10000" in response.json()["detail"]


async def test_compare_without_models_takes_every_model_priced_at_that_instant(client):
    body = (await client.post("/v1/estimate/compare", json={"baseline": "deepseek-v4-flash", **SESSION,
                                                            "at": "2026-04-30"})).json()
    assert [row["model"] for row in body["rows"]] == ["deepseek-v4-flash", "deepseek-v4-pro"]
    assert body["rows"][0]["cost"]["total"] == "0.00315"


async def test_a_monthly_mix_splits_sessions_by_share(client):
    body = (await client.post("/v1/estimate/monthly", json={
        "mix": [{"model": "deepseek-v4-flash", "share": "0.75"}, {"model": "claude-opus-4.7", "share": "0.25"}],
        "input_tokens": 50_000, "output_tokens": 20_000, "sessions_per_month": 1000, "at": AT})).json()
    assert [(p["model"], p["sessions"], p["cost"]) for p in body["periods"]] == [
        ("deepseek-v4-flash", "750", "9.45"), ("claude-opus-4.7", "250", "187.5"),
    ]
    assert body["total"] == "196.95"


async def test_a_monthly_mix_whose_shares_do_not_add_up_to_1_is_a_422(client):
    response = await client.post("/v1/estimate/monthly", json={
        "mix": [{"model": "deepseek-v4-flash", "share": "0.5"}, {"model": "gpt-4.1", "share": "0.4"}],
        "input_tokens": 1, "output_tokens": 1, "sessions_per_month": 10})
    assert response.status_code == 422 and "add up to exactly 1" in response.json()["detail"]


async def test_a_month_before_a_model_was_priced_is_a_404_naming_the_gap(client):
    response = await client.post("/v1/estimate/monthly", json={
        "model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "sessions_per_month": 10, "month": "2026-05"})
    assert response.status_code == 404
    assert "2026-05-01T00:00:00+00:00 to 2026-05-10T00:00:00+00:00" in response.json()["detail"]


async def test_a_month_in_a_timezone_starts_at_local_midnight(client):
    body = (await client.post("/v1/estimate/monthly", json={
        "model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "sessions_per_month": 31,
        "month": "2026-06", "timezone": "Asia/Shanghai"})).json()
    assert body["periods"][0]["from"] == "2026-05-31T16:00:00Z"
    assert body["total"] == "0.3906"


async def test_a_bad_month_or_timezone_is_a_422_naming_the_field(client):
    base = {"model": "deepseek-v4-flash", "input_tokens": 1, "output_tokens": 1, "sessions_per_month": 1}
    bad_zone = await client.post("/v1/estimate/monthly", json={**base, "month": "2026-05", "timezone": "Mars/Base"})
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["field"] == "timezone"
    bad_month = await client.post("/v1/estimate/monthly", json={**base, "month": "2026-13"})
    assert bad_month.status_code == 422 and bad_month.json()["errors"][0]["field"] == "month"


async def test_self_hosting_on_one_gpu_lands_in_the_articles_range_and_breaks_even_against_v4_flash(client):
    response = await client.post("/v1/estimate/self-host", json={
        "gpu_hourly_usd": "2", "gpus": 1, "tokens_per_second": "20000", "utilization": "0.75",
        "compare_with": "deepseek-v4-flash", "monthly_tokens": 10_000_000_000, "at": AT})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cost_per_mtok"] == "0.037037037"  # 2 / (20000 x 3600 x 0.75 / 1e6): inside "$0.02-0.04"
    assert body["monthly_cost"] == "1460"
    comparison = body["compare_with"]
    assert comparison["api_per_mtok"] == "0.18"  # V4-Flash at the 50K/20K mix
    assert comparison["break_even_tokens"] == "8111111112"
    assert comparison["api_monthly_cost"] == "1800"


async def test_self_host_with_zero_utilization_is_a_422(client):
    response = await client.post("/v1/estimate/self-host", json={
        "gpu_hourly_usd": "2", "gpus": 1, "tokens_per_second": "20000", "utilization": "0"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "utilization"
