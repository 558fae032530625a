"""The hand-made answers of POST /v1/estimate and its batch equal the routes' byte for byte; the rest is theirs."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.estimates import fast_path, routes

# The fast path leaves any request with a query string to the route, which ignores it: the control.
FAST, ROUTE = "/v1/estimate", "/v1/estimate?via=route"

tokens = st.integers(0, 10**7)
bodies = st.fixed_dictionaries(
    {"model": st.sampled_from(["deepseek-v4-flash", "gpt-5.5", "claude-opus-4.7", "no-such-model"]),
     "input_tokens": tokens, "output_tokens": tokens},
    optional={
        "cached_input_tokens": tokens, "sessions": st.integers(0, 10**6),
        "retry_factor": st.sampled_from(["1", "1.8", "10", "11", 2, "0.5", "x"]),
        "at": st.sampled_from(["2026-04-30", "2026-05-10T12:00:00Z", "2020-01-01", "not a date"]),
        "requested_at": st.sampled_from(["2026-05-10T12:00:00Z", "2026-05-02"]),
        "processing": st.sampled_from(["standard", "batch"]),
        "service_tier": st.sampled_from(["standard", "flex"]),
        "unknown_field": st.just(1),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
async def test_every_answer_of_the_fast_path_equals_the_routes(client, body):
    raw = json.dumps(body).encode()
    fast = await client.post(FAST, content=raw, headers={"content-type": "application/json"})
    route = await client.post(ROUTE, content=raw, headers={"content-type": "application/json"})
    assert fast.status_code == route.status_code
    if "at" in body or "requested_at" in body:  # without an instant both answer "now", a moment apart
        assert fast.content == route.content
    assert fast.headers["content-type"] == route.headers["content-type"]


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'{"model": "deepseek-v4-flash"}', b"\x00" * 10,
                                 b'{"model": "deepseek-v4-flash", "input_tokens": 1.0, "output_tokens": 1}'])
async def test_bodies_the_fast_path_declines_get_the_routes_problem(client, raw):
    fast = await client.post(FAST, content=raw, headers={"content-type": "application/json"})
    route = await client.post(ROUTE, content=raw, headers={"content-type": "application/json"})
    assert (fast.status_code, fast.json()) == (route.status_code, route.json())
    assert fast.status_code in (400, 422)


async def test_a_body_over_the_size_limit_is_the_routes_413(client, app):
    raw = b'{"model": "' + b"x" * (app.request_max_body_size + 10) + b'"}'
    assert (await client.post(FAST, content=raw, headers={"content-type": "application/json"})).status_code == 413


async def test_the_fast_path_answers_the_usual_request_and_leaves_problems_to_the_route(client, monkeypatch):
    calls: dict[str, int] = {"fast": 0, "route": 0}

    def counting(name, real):
        def estimate_one(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return estimate_one

    monkeypatch.setattr(fast_path, "estimate_one", counting("fast", fast_path.estimate_one))
    monkeypatch.setattr(routes, "estimate_one", counting("route", routes.estimate_one))
    ok = await client.post(FAST, json={"model": "deepseek-v4-flash", "input_tokens": 1, "output_tokens": 1})
    assert (ok.status_code, calls) == (200, {"fast": 1, "route": 0})
    missing = await client.post(FAST, json={"model": "no-such-model", "input_tokens": 1, "output_tokens": 1})
    assert (missing.status_code, calls) == (404, {"fast": 2, "route": 1})


BATCH, BATCH_ROUTE = "/v1/estimate/batch", "/v1/estimate/batch?via=route"
ITEM = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "at": "2026-05-10"}


@pytest.mark.parametrize("items", [
    [ITEM, {**ITEM, "sessions": 3, "retry_factor": 1.8}, {**ITEM, "model": "gpt-5.5"}],
    [ITEM, {**ITEM, "model": "no-such-model"}, {**ITEM, "input_tokens": "1"}, 5, {**ITEM, "extra": 1}],
    [],
])
async def test_a_batch_answered_by_hand_equals_the_routes_answer(client, items):
    raw = json.dumps({"items": items}).encode()
    fast = await client.post(BATCH, content=raw, headers={"content-type": "application/json"})
    route = await client.post(BATCH_ROUTE, content=raw, headers={"content-type": "application/json"})
    assert (fast.status_code, fast.content) == (route.status_code, route.content)


async def test_a_batch_of_more_than_10000_items_is_the_routes_413(client):
    raw = json.dumps({"items": [ITEM] * 10_001}).encode()
    assert (await client.post(BATCH, content=raw, headers={"content-type": "application/json"})).status_code == 413
