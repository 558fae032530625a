"""POST /v1/estimate and its batch: the fast entry and the route answer through one function, so every answer, good
or bad, has the same status, headers and bytes by either way."""

from __future__ import annotations

import json
import uuid

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.decoding import convert_strict, decode_json
from service.estimates import answers, fast_path, routes, schemas
from service.http.app import MAX_BODY_BYTES
from service.pricing.errors import InputError
from tests.problems import assert_problem

ESTIMATE, BATCH = "/v1/estimate", "/v1/estimate/batch"
# The same request id both ways, so that an error's x-request-id header is the same too.
HEADERS = {"content-type": "application/json", "x-request-id": "one-pipeline"}
ITEM = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "at": "2026-05-10"}


def via_route() -> dict[str, str]:
    """The edge runs the app itself, so the route, for a POST with an Idempotency-Key (a new key: a first run)."""
    return {**HEADERS, "idempotency-key": uuid.uuid4().hex}


async def both(client: httpx.AsyncClient, raw: bytes, batch: bool = False) -> tuple[httpx.Response, httpx.Response]:
    path = BATCH if batch else ESTIMATE
    fast = await client.post(path, content=raw, headers=HEADERS)
    route = await client.post(path, content=raw, headers=via_route())
    return fast, route


def answer_of(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, response.headers.multi_items(), response.content


def assert_same(fast: httpx.Response, route: httpx.Response) -> None:
    assert answer_of(fast) == answer_of(route)


def entries_taken(monkeypatch: pytest.MonkeyPatch, *route_modules: str) -> list[str]:
    """"fast" or "route" for each POST answered from now on, in order; `route_modules` also call the route's
    function (imported by name)."""
    calls: list[str] = []
    real_fast, real_route = fast_path._answer, routes.answered_post

    async def fast(*args):
        calls.append("fast")
        await real_fast(*args)

    async def route(*args):
        calls.append("route")
        return await real_route(*args)

    monkeypatch.setattr(fast_path, "_answer", fast)
    for module in ("service.estimates.routes", *route_modules):
        monkeypatch.setattr(f"{module}.answered_post", route)
    return calls


async def test_a_post_takes_the_fast_entry_and_one_with_an_idempotency_key_the_route(client, monkeypatch):
    calls = entries_taken(monkeypatch)
    for path in (ESTIMATE, BATCH):
        await client.post(path, content=b"{", headers=HEADERS)
        await client.post(path, content=b"{", headers=via_route())
    assert calls == ["fast", "route", "fast", "route"]


tokens = st.integers(0, 10**7)
good_bodies = st.fixed_dictionaries(
    {"model": st.sampled_from(["deepseek-v4-flash", "gpt-5.5", "claude-opus-4.7", "no-such-model"]),
     "input_tokens": tokens, "output_tokens": tokens},
    optional={
        "cached_input_tokens": tokens, "sessions": st.integers(0, 10**6),
        "retry_factor": st.sampled_from(["1", "1.8", "10", "11", 2, 1.5, "0.5", "x"]),
        "at": st.sampled_from(["2026-04-30", "2026-05-10T12:00:00Z", "2020-01-01", "not a date"]),
        "requested_at": st.sampled_from(["2026-05-10T12:00:00Z", "2026-05-02"]),
        "processing": st.sampled_from(["standard", "batch", "fast"]),
        "service_tier": st.sampled_from(["standard", "flex"]),
        "unknown_field": st.just(1),
    },
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=8)
# Any field holding any JSON value: wrong types, missing fields, out-of-range numbers.
wrong_bodies = st.dictionaries(st.sampled_from(["model", "input_tokens", "output_tokens", "sessions", "retry_factor",
                                                "at", "processing"]), json_values)


def encoded(body: object) -> bytes:
    return json.dumps(body).encode()


# Good and bad bodies alike: valid or not, JSON or not, objects or not, cut short.
raw_bodies = st.one_of(
    good_bodies.map(encoded), wrong_bodies.map(encoded), json_values.map(encoded), st.binary(max_size=40),
    good_bodies.map(encoded).flatmap(lambda raw: st.integers(0, len(raw) - 1).map(lambda cut: raw[:cut])),
)


def assert_typed_takes_what_strict_takes(decoder: msgspec.json.Decoder, strict_type: type, raw: bytes) -> None:
    """The fast entry's typed decoder and the strict path (service.api.decoding) take or refuse `raw` alike."""
    try:
        decoder.decode(raw)
        typed = True
    except (msgspec.DecodeError, RecursionError):
        typed = False
    try:
        convert_strict(decode_json(raw), strict_type)
        strict = True
    except InputError:
        strict = False
    assert typed == strict


@settings(max_examples=300, deadline=None)
@given(raw=raw_bodies)
def test_the_typed_decoder_takes_a_body_exactly_when_the_strict_path_does(raw):
    assert_typed_takes_what_strict_takes(answers._ESTIMATE, schemas.EstimateRequest, raw)


def without_now(response: httpx.Response) -> object:
    """The answer with the instants of "now" taken out: without `at`, two requests are priced a moment apart."""
    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("at", "requested_at", "content-length")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return response.status_code, strip(dict(response.headers)), strip(response.json())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=raw_bodies)
async def test_any_body_gets_the_same_answer_from_the_fast_entry_and_the_route(client, raw):
    fast, route = await both(client, raw)
    if fast.status_code == 200 and b'"at"' not in raw and b'"requested_at"' not in raw:
        assert without_now(fast) == without_now(route)
    else:
        assert_same(fast, route)


batch_items = st.lists(st.one_of(
    good_bodies.map(lambda body: {**body, "at": "2026-05-10"}), wrong_bodies, json_values, st.just(ITEM),
), max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=batch_items)
async def test_any_batch_gets_the_same_answer_from_the_fast_entry_and_the_route(client, items):
    assert_same(*await both(client, encoded({"items": items}), batch=True))


@pytest.mark.parametrize(("raw", "status", "kind"), [
    (b"", 422, "validation-error"),
    (b"{", 400, "malformed-request"),
    (b"\xff\xfe", 400, "malformed-request"),
    (b"[]", 422, "validation-error"),
    (b'"an estimate"', 422, "validation-error"),
    (b'{"model": "deepseek-v4-flash"}', 422, "validation-error"),
    (encoded({**ITEM, "input_tokens": "1"}), 422, "validation-error"),
    (encoded({**ITEM, "input_tokens": 1.0}), 422, "validation-error"),
    (encoded({**ITEM, "retry_factor": "NaN"}), 422, "invalid-amount"),
    (encoded({**ITEM, "extra": 1}), 422, "validation-error"),
    (encoded({**ITEM, "model": "no-such-model"}), 404, "not-found"),
    (encoded({**ITEM, "at": "2020-01-01"}), 404, "no-price-at-instant"),
    (b'{"model": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "malformed-request"),
])
async def test_a_bad_estimate_gets_the_same_problem_both_ways(client, raw, status, kind):
    fast, route = await both(client, raw)
    assert_problem(fast, status, type=kind)
    assert_same(fast, route)


@pytest.mark.parametrize(("raw", "status"), [
    (b"{", 400), (b"[]", 422), (b'{"items": 5}', 422), (b'{"items": [], "extra": 1}', 422), (b"{}", 422),
    (encoded({"items": [ITEM] * 10_001}), 413),
])
async def test_a_bad_batch_gets_the_same_problem_both_ways(client, raw, status):
    fast, route = await both(client, raw, batch=True)
    assert_problem(fast, status)
    assert_same(fast, route)


async def test_a_batch_with_failing_and_non_object_items_answers_each_item_alike_both_ways(client):
    items = [ITEM, {**ITEM, "model": "no-such-model"}, {**ITEM, "input_tokens": "1"}, 5, None, [ITEM],
             {**ITEM, "extra": 1}, {**ITEM, "retry_factor": 1.8, "sessions": 3}]
    fast, route = await both(client, encoded({"items": items}), batch=True)
    assert_same(fast, route)
    body = fast.json()
    assert (fast.status_code, body["succeeded"], body["failed"]) == (200, 2, 6)
    assert [item["error"]["status"] for item in body["data"] if not item["ok"]] == [404, 422, 422, 422, 422, 422]
    assert body["data"][2]["error"]["errors"][0]["pointer"] == "/input_tokens"  # relative to the item
    assert body["data"][3]["error"]["detail"].startswith("items[3]: ")


async def test_a_body_over_the_size_limit_is_the_413_of_every_other_route(client):
    raw = b'{"model": "' + b"x" * MAX_BODY_BYTES + b'"}'
    litestars = await client.post("/v1/quotes", content=raw, headers=HEADERS)
    for path in (ESTIMATE, BATCH):
        fast = await client.post(path, content=raw, headers=HEADERS)
        assert_problem(fast, 413)
        assert answer_of(fast) == answer_of(litestars)


async def test_while_the_snapshot_is_stale_both_ways_say_so_on_every_answer(client, snapshot_keeper, monkeypatch):
    monkeypatch.setattr(snapshot_keeper, "connected", False)
    for raw in (encoded(ITEM), encoded({**ITEM, "model": "no-such-model"}), b"{"):
        fast, route = await both(client, raw)
        assert fast.headers["x-catalog-snapshot"].startswith("stale")
        assert_same(fast, route)
