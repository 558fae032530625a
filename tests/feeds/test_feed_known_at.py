"""`known_at` on the price feed (issue 18): the feed as the catalog said at a record time, from the database."""

from __future__ import annotations

from datetime import timedelta

from service.api import caching
from tests.catalog.test_known_at import SEEDED, THE_DAY, TICK, _end_the_discount_a_day_earlier
from tests.problems import assert_problem

FEED = "/v1/feeds/prices"


def _row(feed: dict) -> dict:
    return next(row for row in feed["data"] if row["model"] == SEEDED)


async def test_the_feed_as_known_before_a_correction_and_after_it(client, session, reader):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    before = await client.get(FEED, params={"at": THE_DAY, "known_at": (now - TICK).isoformat()}, headers=reader)
    after = await client.get(FEED, params={"at": THE_DAY, "known_at": now.isoformat()}, headers=reader)
    assert before.status_code == after.status_code == 200, before.text
    assert _row(before.json())["effective"]["input_per_mtok"] == "0.035" and _row(before.json())["promotions"]
    assert _row(after.json())["effective"]["input_per_mtok"] == "0.14" and not _row(after.json())["promotions"]
    assert before.headers["etag"] != after.headers["etag"]
    assert after.headers["cache-control"] == "private, max-age=300"  # too young to be settled
    csv = await client.get(FEED, params={"at": THE_DAY, "known_at": now.isoformat(), "format": "csv"},
                           headers=reader)
    assert csv.headers["content-type"].startswith("text/csv") and SEEDED in csv.text


async def test_a_settled_feed_is_cached_for_good_and_revalidates(client, session, reader, monkeypatch):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    monkeypatch.setattr(caching, "SETTLED_AFTER", timedelta(0))  # the test's rows were recorded moments ago
    params = {"at": THE_DAY, "known_at": now.isoformat()}
    first = await client.get(FEED, params=params, headers=reader)
    assert first.headers["cache-control"] == "private, max-age=31536000, immutable"
    again = await client.get(FEED, params=params, headers={**reader, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


async def test_a_known_at_that_is_no_instant_is_a_422(client, reader):
    assert_problem(await client.get(FEED, params={"known_at": "then"}, headers=reader), 422, field="known_at")


async def test_the_litellm_feed_as_known_before_a_correction_and_after_it(client, session, reader):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    url = "/v1/feeds/litellm"
    before = await client.get(url, params={"at": THE_DAY, "known_at": (now - TICK).isoformat()}, headers=reader)
    after = await client.get(url, params={"at": THE_DAY, "known_at": now.isoformat()}, headers=reader)
    assert before.status_code == after.status_code == 200, before.text
    key = next(key for key in after.json() if key.endswith(SEEDED))  # LiteLLM's provider prefix before the id
    cost_before, cost_after = (answer.json()[key]["input_cost_per_token"] for answer in (before, after))
    assert (cost_before, cost_after) == (3.5e-08, 1.4e-07)
    assert before.headers["etag"] != after.headers["etag"]
