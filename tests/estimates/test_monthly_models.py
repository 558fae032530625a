"""POST /v1/estimate/monthly/models: a month on many models at once, each item as its own monthly estimate."""

from __future__ import annotations

from tests.problems import assert_problem

USAGE = {"input_tokens": 50_000, "output_tokens": 20_000, "sessions_per_month": 1000, "month": "2026-05"}


async def test_each_model_gets_what_its_own_monthly_estimate_gives(client):
    models = ["deepseek-v4-flash", "claude-opus-4.7", "deepseek-v4-pro"]
    june = {**USAGE, "month": "2026-06"}  # every seed model is priced for all of June
    response = await client.post("/v1/estimate/monthly/models", json={**june, "models": models})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["model"] for item in body["data"]] == models and (body["succeeded"], body["failed"]) == (3, 0)
    for item in body["data"]:
        alone = await client.post("/v1/estimate/monthly", json={**june, "model": item["model"]})
        assert item["ok"] and item["result"] == alone.json()


async def test_a_model_that_cannot_be_priced_fails_alone(client):
    models = ["gpt-9", "gpt-4.1", "deepseek-v4-flash"]  # unknown; no price before 10 May 2026; fine
    body = (await client.post("/v1/estimate/monthly/models", json={**USAGE, "models": models})).json()
    assert [item["ok"] for item in body["data"]] == [False, False, True]
    unknown, unpriced = body["data"][0]["error"], body["data"][1]["error"]
    assert (unknown["status"], unknown["type"]) == (404, "/problems/not-found")
    assert (unpriced["status"], unpriced["type"]) == (404, "/problems/no-price-at-instant")
    assert unpriced["detail"].startswith("models[1]: ")
    assert (body["succeeded"], body["failed"]) == (1, 2)


async def test_a_fault_of_the_whole_request_is_a_422_for_the_request(client):
    twice = await client.post("/v1/estimate/monthly/models", json={**USAGE, "models": ["gpt-4.1", "gpt-4.1"]})
    assert_problem(twice, 422, pointer="/models")
    cached = {**USAGE, "cached_input_tokens": 60_000, "models": ["gpt-4.1"]}
    assert_problem(await client.post("/v1/estimate/monthly/models", json=cached), 422, type="invalid-usage")
    bad_month = {**USAGE, "month": "2026-13", "models": ["gpt-4.1"]}
    assert_problem(await client.post("/v1/estimate/monthly/models", json=bad_month), 422, pointer="/month")
    empty = await client.post("/v1/estimate/monthly/models", json={**USAGE, "models": []})
    assert_problem(empty, 422, pointer="/models")


async def test_more_than_10000_models_is_a_413(client):
    models = [f"model-{n}" for n in range(10_001)]
    response = await client.post("/v1/estimate/monthly/models", json={**USAGE, "models": models})
    assert_problem(response, 413, type="batch-too-large")
