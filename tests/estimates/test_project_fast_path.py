"""POST /v1/estimate/project: the fast entry and the route answer through one function (answers.answer_project), so
every answer, good or bad, has the same status, headers and bytes by either way, as for /v1/estimate."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.estimates import answers, heavy_posts, project_schemas
from tests.estimates.test_fast_path import (
    HEADERS,
    answer_of,
    assert_same,
    assert_typed_takes_what_strict_takes,
    entries_taken,
    json_values,
    via_route,
)
from tests.problems import assert_problem

PROJECT = "/v1/estimate/project"
SIX = ["deepseek-v4-flash", "deepseek-v4-pro", "gpt-4.1", "claude-sonnet-4.6", "claude-opus-4.7", "gpt-5.5"]
HYBRID = {"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"}
GOOD = {"project": {"size": "medium", "features": 40, "tooling": "ide-assistant"}, "models": SIX,
        "at": "2026-05-10", "strategies": [HYBRID]}

# Bodies that are answered 200: every field valid, the set of models and the options varied.
valid_bodies = st.fixed_dictionaries(
    {"project": st.fixed_dictionaries(
        {"size": st.sampled_from(["small", "medium", "large"]), "features": st.integers(0, 500),
         "tooling": st.sampled_from(["chat", "ide-assistant", "autonomous-agent"])},
        optional={"mix": st.sampled_from([{"simple": "0.5", "moderate": "0.25", "complex": "0.25"},
                                          {"simple": 0, "moderate": 0, "complex": 1}])}),
     "at": st.sampled_from(["2026-05-10", "2026-05-10T12:00:00Z", "2026-06-01"]),
     "models": st.sampled_from([SIX, SIX[:2], ["gpt-5.5", "gpt-5.5"], ["deepseek-v4-flash"]])},
    optional={
        "strategies": st.lists(st.sampled_from([
            {"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"},
            {"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "gpt-5.5", "review_share": {"complex": "0.5"}},
            {"kind": "self-host", "profile": "a100-node"}, {"kind": "self-host", "profile": "a100-node",
                                                            "utilization": "0.5"}]), max_size=3),
        "breakdown": st.booleans(),
    },
)
shares = st.sampled_from(["0.5", "1", "0", "1.5", "-0.1", 0.5, 1, "x", None])
# Bodies with a field changed to something else, valid or not: each change on its own, onto a valid body.
changes = st.sampled_from([
    ("project", {"size": "huge", "features": 1, "tooling": "chat"}),
    ("project", {"size": "small", "features": -1, "tooling": "chat"}),
    ("project", {"size": "small", "features": "40", "tooling": "chat"}),
    ("project", {"size": "small", "features": 1.5, "tooling": "chat"}),
    ("project", {"size": "small", "features": 1, "tooling": "no-such-tool"}),
    ("project", {"size": "small", "features": 1, "tooling": "chat", "mix": {"simple": "0.5"}}),
    ("project", {"size": "small", "features": 1, "tooling": "chat", "mix": {"trivial": "1"}}),
    ("models", []), ("models", ["no-such-model"]), ("models", "gpt-5.5"), ("provider", "deepseek"),
    ("all_models", True), ("all_models", False), ("at", "2020-01-01"), ("at", "not a date"),
    ("strategies", [{"kind": "hybrid", "draft": "nope", "review": "gpt-5.5"}]),
    ("strategies", [{"kind": "hybrid", "draft": "gpt-5.5", "review": 7}]),
    ("strategies", [{"kind": "hybrid", "draft": "gpt-5.5", "review": "gpt-4.1", "review_share": {"complex": "1.5"}}]),
    ("strategies", [{"kind": "self-host", "profile": "nope"}]),
    ("strategies", [{"kind": "self-host", "profile": "a100-node", "utilization": "0"}]),
    ("strategies", [{"kind": "other"}]), ("baseline", "gpt-5.5"), ("baseline", "nope"),
    ("baseline", "hybrid:deepseek-v4-flash+claude-opus-4.7"), ("breakdown", "yes"), ("unknown_field", 1),
])
changed_bodies = st.tuples(valid_bodies, st.lists(changes, min_size=1, max_size=2)).map(
    lambda pair: {**pair[0], **dict(pair[1])})
# Any field holding any JSON value: wrong types, missing fields, out-of-range numbers.
wrong_bodies = st.dictionaries(st.sampled_from(["project", "models", "provider", "all_models", "at", "strategies",
                                                "baseline", "breakdown"]), json_values)


def encoded(body: object) -> bytes:
    return json.dumps(body).encode()


raw_bodies = st.one_of(
    valid_bodies.map(encoded), changed_bodies.map(encoded), wrong_bodies.map(encoded), json_values.map(encoded),
    st.binary(max_size=40),
    valid_bodies.map(encoded).flatmap(lambda raw: st.integers(0, len(raw) - 1).map(lambda cut: raw[:cut])),
)


@settings(max_examples=300, deadline=None)
@given(raw=raw_bodies)
def test_the_typed_decoder_takes_a_project_body_exactly_when_the_strict_path_does(raw):
    assert_typed_takes_what_strict_takes(answers._PROJECT, project_schemas.ProjectEstimateRequest, raw)


async def both(client, raw: bytes):
    fast = await client.post(PROJECT, content=raw, headers=HEADERS)
    route = await client.post(PROJECT, content=raw, headers=via_route())
    return fast, route


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=raw_bodies)
async def test_any_project_body_gets_the_same_answer_from_the_fast_entry_and_the_route(client, raw):
    assert_same(*await both(client, raw))  # every body that is priced names `at`: the same instant both ways


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=valid_bodies)
async def test_a_valid_project_body_is_priced_alike_both_ways(client, body):
    # The bodies of the test above that are priced: they are, so that one checks priced answers too.
    fast, route = await both(client, encoded(body))
    assert fast.status_code == 200, fast.text
    assert_same(fast, route)


async def test_a_project_post_takes_the_fast_entry_and_one_with_an_idempotency_key_the_route(client, monkeypatch):
    calls = entries_taken(monkeypatch, "service.estimates.project_routes")
    fast_answer, route_answer = await both(client, encoded(GOOD))
    assert calls == ["fast", "route"]
    assert fast_answer.status_code == 200
    assert_same(fast_answer, route_answer)


@pytest.mark.parametrize(("raw", "status", "kind"), [
    (b"", 422, "validation-error"),
    (b"{", 400, "malformed-request"),
    (b"[]", 422, "validation-error"),
    (encoded({**GOOD, "project": {**GOOD["project"], "features": -1}}), 422, "validation-error"),
    (encoded({**GOOD, "project": {**GOOD["project"], "tooling": "no-such-tool"}}), 422, "validation-error"),
    (encoded({**GOOD, "project": {**GOOD["project"], "mix": {"simple": "0.5"}}}), 422, "invalid-amount"),
    (encoded({**GOOD, "models": []}), 422, "validation-error"),
    (encoded({**GOOD, "models": ["no-such-model"]}), 404, "not-found"),
    (encoded({**GOOD, "all_models": True}), 422, "validation-error"),
    (encoded({**GOOD, "extra": 1}), 422, "validation-error"),
    (encoded({**GOOD, "models": ["gpt-5.5"] * 10_001}), 422, "validation-error"),
])
async def test_a_bad_project_gets_the_same_problem_both_ways(client, raw, status, kind):
    fast, route = await both(client, raw)
    assert_problem(fast, status, type=kind)
    assert_same(fast, route)


async def test_more_offerings_than_the_limit_is_the_same_413_both_ways(client, app, monkeypatch):
    monkeypatch.setattr(app.state, "work_limits", app.state.work_limits._replace(models=2))
    fast, route = await both(client, encoded(GOOD))
    assert_problem(fast, 413)
    assert "2" in fast.json()["detail"]
    assert answer_of(fast) == answer_of(route)


async def test_while_the_snapshot_is_stale_both_ways_say_so(client, snapshot_keeper, monkeypatch):
    monkeypatch.setattr(snapshot_keeper, "connected", False)
    for raw in (encoded(GOOD), encoded({**GOOD, "models": ["no-such-model"]}), b"{"):
        fast, route = await both(client, raw)
        assert fast.headers["x-catalog-snapshot"].startswith("stale")
        assert_same(fast, route)


ALL = {key: value for key, value in GOOD.items() if key != "models"} | {"all_models": True}


@pytest.mark.parametrize(("body", "many"), [
    (GOOD, False), ({**GOOD, "models": ["gpt-5.5"] * 64}, False), ({**GOOD, "models": ["gpt-5.5"] * 65}, True),
    (ALL, True), ({**ALL, "all_models": False}, False), ({**GOOD, "provider": "deepseek"}, True),
    ({**GOOD, "provider": None}, False), ({**GOOD, "models": "gpt-5.5"}, False), ({**ALL, "all_models": "yes"}, False),
])
def test_a_project_names_many_offerings_with_all_models_a_provider_or_more_than_64_models(body, many):
    # A body that does not decode is answered on the loop too: its problem is quick to make.
    assert heavy_posts._names_many(encoded(body)) is many


async def test_a_project_over_many_offerings_is_priced_off_the_event_loop_and_one_over_a_few_on_it(
        client, monkeypatch):
    threads: list[str] = []
    real = heavy_posts.answer_project

    def recording(*args):
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(heavy_posts, "answer_project", recording)
    here = threading.current_thread().name  # the test's event loop runs the app
    for body, elsewhere in ((ALL, True), (GOOD, False), ({**ALL, "project": {}}, True)):
        threads.clear()
        fast, route = await both(client, encoded(body))
        assert_same(fast, route)
        assert len(threads) == 2 and all((name != here) is elsewhere for name in threads), threads
        if elsewhere:  # the app has no batch process (apps made in code start none): the batch thread
            assert all(name.startswith("estimate-batch") for name in threads)
