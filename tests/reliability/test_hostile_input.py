"""Hostile input gets a 4xx problem, never a 500."""

from __future__ import annotations

import pytest

from service.http.app import MAX_BODY_BYTES
from tests.problems import assert_problem


async def test_a_body_over_the_size_limit_is_a_413(client):
    body = b'{"items": [' + b'{"model": "x"},' * (MAX_BODY_BYTES // 15) + b'{"model": "x"}]}'
    response = await client.post("/v1/estimate/batch", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 413)


async def test_any_body_over_the_size_limit_is_a_413_problem(client, writer):
    body = b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    for method, path in (("POST", "/v1/estimate"), ("POST", "/v1/quotes"), ("PATCH", "/v1/providers/openai")):
        response = await client.request(method, path, content=body, headers={**writer,
                                        "content-type": "application/json"})
        assert_problem(response, 413)


async def test_deeply_nested_json_is_a_4xx(client):
    body = b'{"model": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert_problem(await client.post("/v1/estimate", content=body, headers={"content-type": "application/json"}),
                   400, 422)


@pytest.mark.parametrize("body", [
    {"model": "gpt-4.1", "input_tokens": 10**30, "output_tokens": 1},
    {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "retry_factor": "1e999999999"},
    {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "retry_factor": 1e308},
    {"model": "gpt-4.1", "input_tokens": 1.5, "output_tokens": 1},
    {"model": "gpt-4.1", "input_tokens": -1, "output_tokens": 1},
    {"model": "gpt-4.1", "input_tokens": "1", "output_tokens": 1},
    {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "at": "2026-02-30"},
    {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "at": "99999-01-01"},
    {"model": "../etc/passwd", "input_tokens": 1, "output_tokens": 1},
    {"model": "gpt-4.1\u0000", "input_tokens": 1, "output_tokens": 1},
    {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "surprise": True},
    [],
    "estimate",
    None,
])
async def test_absurd_or_malformed_estimates_are_4xx_problems(client, body):
    assert_problem(await client.post("/v1/estimate", json=body), 400, 404, 422)


@pytest.mark.parametrize("params", [
    {"month": "2026-5"}, {"month": "0000-01"}, {"month": "2026-05", "timezone": "../../etc/localtime"},
    {"month": "2026-05", "timezone": "x" * 60}, {"month": "2026-05", "timezone": ""},
])
async def test_bad_months_and_timezones_are_422(client, params):
    body = {"model": "deepseek-v4-flash", "input_tokens": 1, "output_tokens": 1, "sessions_per_month": 1, **params}
    assert_problem(await client.post("/v1/estimate/monthly", json=body), 422)


@pytest.mark.parametrize("path", [
    "/v1/models/a%2Fb", "/v1/models/..", "/v1/models/%00", "/v1/models/%E2%80%AE", "/v1/promotions/-1",
    "/v1/promotions/99999999999999999999999", "/v1/quotes/%20", "/v1/models/gpt-4.1/price?at=%00",
    "/v1/models?provider=%00", "/v1/models?q=%00", "/v1/promotions?model=%00",
])
async def test_odd_ids_and_parameters_are_4xx_problems(client, path):
    assert_problem(await client.get(path), 400, 404, 422)


@pytest.mark.parametrize("cursor", ["%%%", "eyJhZnRlciI6IFtdfQ", "a" * 300, "eyJhZnRlciI6MX0"])
async def test_bad_cursors_are_422(client, cursor):
    assert_problem(await client.get("/v1/models", params={"cursor": cursor}), 422)


SELF_HOST = {"gpu_hourly_usd": "2", "gpus": 1, "tokens_per_second": "1000", "utilization": "0.5"}


@pytest.mark.parametrize(("field", "value"), [
    ("gpu_hourly_usd", "1e200"), ("tokens_per_second", "1e-200"), ("utilization", "1e-200"),
    ("gpu_hourly_usd", "NaN"), ("tokens_per_second", "sNaN"), ("utilization", "0.1234567890123"),
    ("gpu_hourly_usd", "-1"),
])
async def test_absurd_self_host_amounts_are_422_naming_the_field(client, field, value):
    response = await client.post("/v1/estimate/self-host", json={**SELF_HOST, field: value})
    assert_problem(response, 422)
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("path", ["/v1/estimate", "/v1/estimate/compare"])
@pytest.mark.parametrize("factor", ["1.0000000000001", "sNaN", "-Infinity", "1" + "0" * 20])
async def test_a_retry_factor_that_is_not_a_plain_amount_is_a_422(client, path, factor):
    model_field = "model" if path == "/v1/estimate" else "baseline"
    body = {model_field: "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "retry_factor": factor}
    response = await client.post(path, json=body)
    assert_problem(response, 422)
    assert response.json()["errors"][0]["field"] == "retry_factor"


async def test_trailing_zeros_do_not_count_as_decimal_places(client):
    body = {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 1, "retry_factor": "1.8" + "0" * 20}
    response = await client.post("/v1/estimate", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["retry_factor"] == "1.8"


async def test_a_mix_share_with_more_than_12_decimal_places_is_a_422(client):
    body = {"input_tokens": 1, "output_tokens": 1, "sessions_per_month": 10,
            "mix": [{"model": "gpt-4.1", "share": "0.5000000000001"}, {"model": "gpt-5.5", "share": "0.4999999999999"}]}
    response = await client.post("/v1/estimate/monthly", json=body)
    assert_problem(response, 422, type="invalid-amount", pointer="/mix/0/share")
