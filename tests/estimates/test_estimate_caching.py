"""Honest caching of GET /v1/estimate (issue 18): an answer a correction may still change is never cached for
long; one priced at a settled record time, for an instant not after it, is cached for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.api import caching
from service.api.caching import A_MINUTE, FOREVER, NOW, cache_control
from tests.catalog.test_known_at import SEEDED, THE_DAY, TICK, _end_the_discount_a_day_earlier
from tests.problems import assert_problem

QUERY = {"model": SEEDED, "input_tokens": 1_000_000, "output_tokens": 0}
NOON = datetime(2026, 12, 4, 12, tzinfo=UTC)


async def test_the_get_form_takes_known_at_and_answers_as_the_post_does(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    for known_at, total in ((now - TICK, "0.035"), (now, "0.14")):
        asked = {**QUERY, "at": THE_DAY, "known_at": known_at.isoformat()}
        got = await client.get("/v1/estimate", params=asked)
        posted = await client.post("/v1/estimate", json=asked)
        assert got.status_code == 200, got.text
        assert got.content == posted.content and got.json()["cost"]["total"] == total
    # A correction this young may still be joined by one committing later: a minute, not forever.
    assert got.headers["cache-control"] == A_MINUTE
    assert got.json()["price"]["corrections"] == [{"id": correction["id"], "reason": "the discount ended on May 4"}]


async def test_a_past_instant_known_at_a_settled_record_time_is_cached_for_good_and_revalidates(
        client, session, monkeypatch):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    # The test's rows were all recorded moments ago: count a record time as settled at once.
    monkeypatch.setattr(caching, "SETTLED_AFTER", timedelta(0))
    asked = {**QUERY, "at": THE_DAY, "known_at": now.isoformat()}
    first = await client.get("/v1/estimate", params=asked)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == FOREVER
    again = await client.get("/v1/estimate", params=asked, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    ahead = await client.get("/v1/estimate", params={**asked, "at": (now + timedelta(days=1)).isoformat()})
    assert ahead.status_code == 200, ahead.text
    assert ahead.headers["cache-control"] == FOREVER  # nothing changes in place: a later instant is settled too


async def test_a_past_instant_without_known_at_is_cached_a_minute_and_now_not_at_all(client, session):
    assert (await client.get("/v1/estimate", params={**QUERY, "at": THE_DAY})).headers["cache-control"] == A_MINUTE
    assert (await client.get("/v1/estimate", params=QUERY)).headers["cache-control"] == NOW
    _, now = await _end_the_discount_a_day_earlier(client, session)
    known_now = await client.get("/v1/estimate", params={**QUERY, "known_at": now.isoformat()})
    assert known_now.status_code == 200, known_now.text
    assert known_now.headers["cache-control"] == NOW


async def test_a_bad_known_at_on_the_get_form_is_a_422(client):
    assert_problem(await client.get("/v1/estimate", params={**QUERY, "known_at": "soon"}), 422, field="known_at")


def test_forever_needs_a_settled_known_at_whatever_the_instant():
    at = NOON - timedelta(days=30)
    assert cache_control(True, at, NOON - timedelta(hours=2), NOON) == FOREVER
    assert cache_control(True, at, NOON - timedelta(minutes=30), NOON) == A_MINUTE  # a correction may still commit
    # Nothing changes in place any more (migration 0019): what was said then about a later instant is settled too.
    assert cache_control(True, NOON - timedelta(hours=1), NOON - timedelta(hours=2), NOON) == FOREVER
    assert cache_control(True, NOON + timedelta(days=30), NOON - timedelta(hours=2), NOON) == FOREVER
    assert cache_control(True, at, None, NOON) == A_MINUTE
    assert cache_control(False, NOON, NOON - timedelta(days=1), NOON) == NOW
