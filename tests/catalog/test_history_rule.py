"""Ordinary writes only change the future (issue 15, item 14): what was in force at a past instant stays, a past gap
may be filled as a backfill, and every refusal is a 409 that names the corrections endpoint.

The client's requests run in the test's transaction, so the database's `now()` (the time of every write) is the
same instant throughout a test: the tests read it and write exactly at it, or a microsecond before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.pagination import encode_cursor
from tests.factories import make_model, make_price, make_provider, unique_slug
from tests.problems import assert_problem

SEEDED = "deepseek-v4-flash"  # committed by the seed, open since 2026-04-24, with a launch discount that has ended
TICK = timedelta(microseconds=1)


def price(valid_from: datetime | str, valid_to: datetime | str | None = None, input_price: str = "1") -> dict:
    def text(instant: datetime | str | None) -> str | None:
        return instant.isoformat() if isinstance(instant, datetime) else instant
    return {"valid_from": text(valid_from), "valid_to": text(valid_to), "input_per_mtok": input_price,
            "output_per_mtok": "2", "source": "test"}


def promotion(model: str, valid_from: datetime | str, valid_to: datetime | str | None = None) -> dict:
    def text(instant: datetime | str | None) -> str | None:
        return instant.isoformat() if isinstance(instant, datetime) else instant
    return {"name": "Sale", "model": model, "percent_off": "50", "valid_from": text(valid_from),
            "valid_to": text(valid_to), "source": "test"}


async def _now(session: AsyncSession) -> datetime:
    return await session.scalar(select(func.now()))


def _refused_as_history(response, model: str) -> None:
    body = assert_problem(response, 409, type="history-is-fixed")
    assert body["corrections_url"] == f"/v1/models/{model}/corrections"


async def test_a_price_that_would_close_the_open_period_in_the_past_is_refused(client, session, writer):
    before = (await client.get(f"/v1/models/{SEEDED}/prices")).json()["data"]
    response = await client.post(f"/v1/models/{SEEDED}/prices", json=price("2026-06-01T00:00:00Z"), headers=writer)
    _refused_as_history(response, SEEDED)
    assert (await client.get(f"/v1/models/{SEEDED}/prices")).json()["data"] == before


async def test_a_price_from_exactly_now_closes_the_open_period_and_a_microsecond_earlier_is_refused(
        client, session, writer):
    now = await _now(session)
    early = await client.post(f"/v1/models/{SEEDED}/prices", json=price(now - TICK), headers=writer)
    _refused_as_history(early, SEEDED)
    added = await client.post(f"/v1/models/{SEEDED}/prices", json=price(now, input_price="0.1"), headers=writer)
    assert added.status_code == 201, added.text
    assert added.json()["backfill"] is False
    history = (await client.get(f"/v1/models/{SEEDED}/prices")).json()["data"]
    assert [(p["valid_to"], p["input_per_mtok"]) for p in history] == [
        (now.isoformat().replace("+00:00", "Z"), "0.14"), (None, "0.1")]


async def test_the_refusal_names_the_offering_it_was_asked_for(client, session, writer):
    reseller = await make_provider(session)
    offering = (await make_model(session, f"{reseller.id}/{unique_slug('model')}", provider=reseller.id)).id
    await make_price(session, offering, datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    response = await client.post(f"/v1/models/{offering}/prices", json=price("2026-02-01T00:00:00Z"), headers=writer)
    _refused_as_history(response, offering)


async def test_a_period_in_a_past_gap_is_a_backfill_in_the_answer_and_the_change_log(
        client, session, writer, reader):
    model = await make_model(session)
    await make_price(session, model.id, datetime.fromisoformat("2026-06-01T00:00:00+00:00"))
    last_seq = await session.scalar(text("SELECT coalesce(max(seq), 0) FROM catalog_changes"))
    filled = await client.post(f"/v1/models/{model.id}/prices",
                               json=price("2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"), headers=writer)
    assert filled.status_code == 201, filled.text
    assert filled.json()["backfill"] is True
    changes = (await client.get("/v1/feeds/changes", params={"cursor": encode_cursor(last_seq)},
                                headers=reader)).json()["data"]
    assert [(c["kind"], c["object"]["id"], c["object"]["backfill"]) for c in changes] == [
        ("price.created", filled.json()["id"], True)]


async def test_a_future_period_is_no_backfill(client, session, writer):
    model = await make_model(session)
    added = await client.post(f"/v1/models/{model.id}/prices", json=price("2030-01-01T00:00:00Z"), headers=writer)
    assert added.json()["backfill"] is False


async def test_a_past_promotion_over_a_price_is_refused_and_one_from_now_is_taken(client, session, writer):
    now = await _now(session)
    past = await client.post("/v1/promotions", json=promotion(SEEDED, "2026-06-01T00:00:00Z",
                                                              "2026-07-01T00:00:00Z"), headers=writer)
    _refused_as_history(past, SEEDED)
    early = await client.post("/v1/promotions", json=promotion(SEEDED, now - TICK), headers=writer)
    _refused_as_history(early, SEEDED)
    from_now = await client.post("/v1/promotions", json=promotion(SEEDED, now), headers=writer)
    assert from_now.status_code == 201, from_now.text
    assert from_now.json()["backfill"] is False


async def test_a_past_promotion_where_the_model_had_no_price_is_a_backfill(client, session, writer):
    model = await make_model(session)
    await make_price(session, model.id, datetime.fromisoformat("2026-06-01T00:00:00+00:00"))
    created = await client.post("/v1/promotions", json=promotion(model.id, "2026-01-01T00:00:00Z",
                                                                 "2026-06-01T00:00:00Z"), headers=writer)
    assert created.status_code == 201, created.text
    assert created.json()["backfill"] is True


async def _seeded_discount(client) -> dict:
    return (await client.get("/v1/promotions", params={"model": SEEDED})).json()["data"][0]


async def test_a_promotion_that_has_started_can_be_neither_changed_nor_deleted(client, session, writer):
    started = await _seeded_discount(client)
    url = f"/v1/promotions/{started['id']}"
    _refused_as_history(await client.patch(url, json={"percent_off": "10"}, headers=writer), SEEDED)
    _refused_as_history(await client.patch(url, json={"valid_to": "2026-05-04T00:00:00Z"}, headers=writer), SEEDED)
    _refused_as_history(await client.patch(url, json={"valid_to": "2030-01-01T00:00:00Z"}, headers=writer), SEEDED)
    _refused_as_history(await client.delete(url, headers=writer), SEEDED)
    assert await _seeded_discount(client) == started


async def test_a_running_promotion_may_end_at_now_or_later_but_not_before(client, session, writer):
    now = await _now(session)
    model = await make_model(session)
    created = await client.post("/v1/promotions", json=promotion(model.id, "2026-01-01T00:00:00Z"), headers=writer)
    await make_price(session, model.id, datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    url = f"/v1/promotions/{created.json()['id']}"
    _refused_as_history(await client.patch(url, json={"valid_to": (now - TICK).isoformat()}, headers=writer),
                        model.id)
    later = await client.patch(url, json={"valid_to": "2030-01-01T00:00:00Z"}, headers=writer)
    assert later.status_code == 200, later.text
    url = f"/v1/promotions/{later.json()['id']}"  # the change is recorded as a promotion of its own
    at_now = await client.patch(url, json={"valid_to": now.isoformat(), "source": "ended early"}, headers=writer)
    assert at_now.status_code == 200, at_now.text
    assert at_now.json()["valid_to"] == now.isoformat().replace("+00:00", "Z")


async def test_a_promotion_still_to_come_may_change_or_go_but_not_move_into_the_priced_past(client, session, writer):
    created = await client.post("/v1/promotions", json=promotion(SEEDED, "2030-01-01T00:00:00Z"), headers=writer)
    url = f"/v1/promotions/{created.json()['id']}"
    _refused_as_history(await client.patch(url, json={"valid_from": "2026-06-01T00:00:00Z"}, headers=writer), SEEDED)
    changed = await client.patch(url, json={"percent_off": "20"}, headers=writer)
    assert changed.status_code == 200, changed.text
    assert (await client.delete(f"/v1/promotions/{changed.json()['id']}", headers=writer)).status_code == 204


async def test_the_seed_is_loaded_as_a_backfill(client):
    history = (await client.get(f"/v1/models/{SEEDED}/prices")).json()["data"]
    assert [p["backfill"] for p in history] == [True]
    assert (await _seeded_discount(client))["backfill"] is True
