"""`known_at` on reads (issue 18): an answer as the catalog said at a record time, before later corrections; without
it, what is known now. An answer at an instant that a known correction covers names it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.catalog.test_corrections import _corrector, _price, _stretch
from tests.factories import make_model, make_price
from tests.problems import assert_problem

SEEDED = "deepseek-v4-flash"
THE_DAY = "2026-05-04T12:00:00Z"  # the last day of the seed's launch discount, which a correction takes away
TICK = timedelta(microseconds=1)


async def _end_the_discount_a_day_earlier(client, session) -> tuple[dict, datetime]:
    _, corrector = await _corrector(session)
    body = {"reason": "the discount ended on May 4", "valid_from": "2026-05-04T00:00:00Z",
            "valid_to": "2026-05-05T00:00:00Z", "promotions": []}
    response = await client.post(f"/v1/models/{SEEDED}/corrections", json=body, headers=corrector)
    assert response.status_code == 201, response.text
    return response.json(), await session.scalar(select(func.now()))


async def test_the_price_known_before_a_correction_is_the_old_one_and_now_the_new_one(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    url = f"/v1/models/{SEEDED}/price"
    before = (await client.get(url, params={"at": THE_DAY, "known_at": (now - TICK).isoformat()})).json()
    assert before["effective"]["input_per_mtok"] == "0.035"
    assert [p["name"] for p in before["promotions"]] == ["V4-Flash launch discount"]
    assert before["corrections"] == []
    assert datetime.fromisoformat(before["known_at"]) == now - TICK
    today = (await client.get(url, params={"at": THE_DAY})).json()
    assert today["effective"]["input_per_mtok"] == "0.14" and today["promotions"] == []
    assert today["corrections"] == [{"id": correction["id"], "reason": "the discount ended on May 4"}]
    assert "known_at" not in today
    at_the_correction = (await client.get(url, params={"at": THE_DAY, "known_at": now.isoformat()})).json()
    assert at_the_correction["effective"] == today["effective"]
    untouched = (await client.get(url, params={"at": "2026-05-03T12:00:00Z"})).json()
    assert untouched["effective"]["input_per_mtok"] == "0.035" and untouched["corrections"] == []


async def test_the_price_history_known_then_and_now(client, session):
    _, corrector = await _corrector(session)
    model = await make_model(session)
    old = await make_price(session, model.id, datetime(2026, 1, 1, tzinfo=UTC))
    body = _stretch(prices=[_price("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "0.5")])
    corrected = (await client.post(f"/v1/models/{model.id}/corrections", json=body, headers=corrector)).json()
    recorded = datetime.fromisoformat(corrected["recorded_at"])
    url = f"/v1/models/{model.id}/prices"
    # Rows recorded in the correction's own transaction were never known apart from it: none before it, the new after.
    assert (await client.get(url, params={"known_at": (recorded - TICK).isoformat()})).json()["data"] == []
    now = (await client.get(url)).json()["data"]
    assert [p["id"] for p in now] == [p["id"] for p in corrected["prices"]["new"]]
    assert {p["correction_id"] for p in now} == {corrected["id"]}
    assert old.id not in [p["id"] for p in now]


async def test_the_seed_history_known_before_a_correction_keeps_the_superseded_rows(client, session):
    _, corrector = await _corrector(session)
    body = {"reason": "typo", "valid_from": "2026-06-01T00:00:00Z", "valid_to": "2026-07-01T00:00:00Z",
            "prices": [_price("2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z", "0.13")]}
    corrected = (await client.post(f"/v1/models/{SEEDED}/corrections", json=body, headers=corrector)).json()
    recorded = datetime.fromisoformat(corrected["recorded_at"])
    url = f"/v1/models/{SEEDED}/prices"
    then = (await client.get(url, params={"known_at": (recorded - TICK).isoformat()})).json()["data"]
    assert [p["id"] for p in then] == [p["id"] for p in corrected["prices"]["old"]]
    assert [p["input_per_mtok"] for p in (await client.get(url)).json()["data"]] == ["0.14", "0.13", "0.14"]


async def test_nothing_is_known_before_it_was_recorded(client, session):
    model = await make_model(session)
    await make_price(session, model.id, datetime(2026, 1, 1, tzinfo=UTC))
    now = await session.scalar(select(func.now()))
    early = await client.get(f"/v1/models/{model.id}/price",
                             params={"at": "2026-02-01", "known_at": (now - TICK).isoformat()})
    assert_problem(early, 404, type="no-price-at-instant")


async def test_a_known_at_that_is_no_instant_is_a_422(client):
    response = await client.get(f"/v1/models/{SEEDED}/price", params={"known_at": "yesterday"})
    assert_problem(response, 422, field="known_at")


def _estimate(known_at: datetime | None = None) -> dict:
    body = {"model": SEEDED, "input_tokens": 1_000_000, "output_tokens": 0, "at": THE_DAY}
    return body if known_at is None else {**body, "known_at": known_at.isoformat()}


async def test_an_estimate_as_known_before_a_correction_and_after_it(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    before = (await client.post("/v1/estimate", json=_estimate(now - TICK))).json()
    after = (await client.post("/v1/estimate", json=_estimate(now))).json()
    assert (before["cost"]["total"], after["cost"]["total"]) == ("0.035", "0.14")
    assert before["price"]["corrections"] == [] and before["price"]["promotions"] != []
    assert after["price"]["corrections"] == [{"id": correction["id"], "reason": "the discount ended on May 4"}]
    assert datetime.fromisoformat(after["price"]["known_at"]) == now


async def test_an_estimate_without_known_at_never_touches_the_database(client, app, monkeypatch):
    def no_database() -> None:
        raise AssertionError("an estimate without known_at opened a database session")

    monkeypatch.setattr(app.state, "sessionmaker", no_database)
    answer = await client.post("/v1/estimate", json=_estimate())
    assert answer.status_code == 200, answer.text
    assert "known_at" not in answer.json()["price"] and "corrections" not in answer.json()["price"]


async def test_known_at_is_refused_in_a_quote_rather_than_ignored(client, session):
    now = await session.scalar(select(func.now()))
    answer = await client.post("/v1/quotes", json={"kind": "estimate", "request": _estimate(now)})
    assert_problem(answer, 422, field="known_at")


async def test_the_promotions_and_corrections_lists_as_known_before_a_correction_and_after_it(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)

    async def listed(path: str, known_at: datetime | None) -> list[dict]:
        params = {"model": SEEDED} if known_at is None else {"model": SEEDED, "known_at": known_at.isoformat()}
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    ends = {p["valid_to"] for p in await listed("/v1/promotions", now - TICK)}
    assert ends == {"2026-05-05T00:00:00Z"}  # the launch discount as it was said before the correction
    assert {p["valid_to"] for p in await listed("/v1/promotions", None)} == {"2026-05-04T00:00:00Z"}
    assert await listed("/v1/promotions", now) == await listed("/v1/promotions", None)
    assert await listed("/v1/corrections", now - TICK) == []
    assert [c["id"] for c in await listed("/v1/corrections", now)] == [correction["id"]]
    assert_problem(await client.get("/v1/promotions", params={"known_at": "soon"}), 422, field="known_at")


async def test_a_promotion_a_correction_superseded_answers_404_naming_the_correction(client, session):
    listed = (await client.get("/v1/promotions", params={"model": SEEDED})).json()["data"]
    discount = next(p for p in listed if p["name"] == "V4-Flash launch discount")
    correction, _ = await _end_the_discount_a_day_earlier(client, session)
    gone = await client.get(f"/v1/promotions/{discount['id']}")
    assert_problem(gone, 404, type="not-found")
    assert f"was corrected (correction {correction['id']})" in gone.json()["detail"]
