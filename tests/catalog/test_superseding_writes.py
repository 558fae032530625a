"""Ordinary writes that change the future supersede rows rather than change them (migration 0019): a read with
`known_at` before the write answers as before it, at the boundary instants too; a read without it, as it always did.

Each request commits (`committed_client`), so each write has its own record time, read back from its answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from tests.factories import committed_model_and_key

TICK = timedelta(microseconds=1)
JUNE = "2027-06-01T00:00:00Z"  # where the second period starts: the boundary
JUST_BEFORE_JUNE = "2027-05-31T23:59:59.999999Z"


async def _price(client, model_id: str, at: str, known_at: datetime | None = None) -> str | None:
    params = {"at": at} | ({} if known_at is None else {"known_at": known_at.isoformat()})
    response = await client.get(f"/v1/models/{model_id}/price", params=params)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return str(response.json()["effective"]["input_per_mtok"])


async def _estimate(client, model_id: str, at: str, known_at: datetime) -> str:
    body = {"model": model_id, "input_tokens": 1_000_000, "output_tokens": 0, "at": at,
            "known_at": known_at.isoformat()}
    response = await client.post("/v1/estimate", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["cost"]["total"])


async def _post_price(client, model_id: str, headers: dict, valid_from: str, price: str) -> dict:
    body = {"valid_from": valid_from, "input_per_mtok": price, "output_per_mtok": price, "source": "test"}
    response = await client.post(f"/v1/models/{model_id}/prices", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_closing_an_open_period_keeps_what_was_said_before_the_write(committed_client, committed_engine):
    client = committed_client
    model_id, writer = await committed_model_and_key(committed_engine, "close")
    first = await _post_price(client, model_id, writer, "2027-01-01T00:00:00Z", "1")
    second = await _post_price(client, model_id, writer, JUNE, "2")
    written = datetime.fromisoformat(second["recorded_at"])
    assert written > datetime.fromisoformat(first["recorded_at"])
    before = written - TICK
    # Without known_at, as ever: the first period ends where the second starts.
    assert [await _price(client, model_id, at) for at in (JUST_BEFORE_JUNE, JUNE, "2030-01-01")] == ["1", "2", "2"]
    # Known just before the write: the first period was open, June included.
    assert [await _price(client, model_id, at, before) for at in (JUST_BEFORE_JUNE, JUNE, "2030-01-01")] == [
        "1", "1", "1"]
    assert await _estimate(client, model_id, JUNE, before) == "1"
    # Known at the write: as now.
    assert [await _price(client, model_id, at, written) for at in (JUST_BEFORE_JUNE, JUNE)] == ["1", "2"]
    assert await _estimate(client, model_id, JUNE, written) == "2"
    assert await _estimate(client, model_id, JUST_BEFORE_JUNE, written) == "1"
    # The history: the open period as it was, then closed in a row of its own that says which it replaces.
    url = f"/v1/models/{model_id}/prices"
    then = (await client.get(url, params={"known_at": before.isoformat()})).json()["data"]
    assert [(p["id"], p["valid_to"]) for p in then] == [(first["id"], None)]
    now = (await client.get(url)).json()["data"]
    assert [(p["valid_from"], p["valid_to"], p["input_per_mtok"]) for p in now] == [
        ("2027-01-01T00:00:00Z", JUNE, "1"), (JUNE, None, "2")]
    assert now[0]["id"] != first["id"] and now[0]["backfill"] is False


async def test_a_promotion_changed_then_deleted_before_it_starts_is_known_as_it_was(committed_client, committed_engine):
    client = committed_client
    model_id, writer = await committed_model_and_key(committed_engine, "promo")
    await _post_price(client, model_id, writer, "2027-01-01T00:00:00Z", "1")
    body = {"model": model_id, "name": "spring", "percent_off": "10", "valid_from": "2027-03-01T00:00:00Z",
            "valid_to": "2027-04-01T00:00:00Z", "source": "test"}
    created = await client.post("/v1/promotions", json=body, headers=writer)
    assert created.status_code == 201, created.text
    changed = await client.patch(f"/v1/promotions/{created.json()['id']}", json={"percent_off": "20"},
                                 headers=writer)
    assert changed.status_code == 200, changed.text
    changed_at = await _recorded_at(committed_engine, changed.json()["id"])
    deleted = await client.delete(f"/v1/promotions/{changed.json()['id']}", headers=writer)
    assert deleted.status_code == 204
    deleted_at = await _superseded_at(committed_engine, changed.json()["id"])
    assert deleted_at > changed_at
    first_day, last_instant, the_end = "2027-03-01T00:00:00Z", "2027-03-31T23:59:59.999999Z", "2027-04-01T00:00:00Z"
    for known_at, expected in ((changed_at - TICK, "0.9"), (changed_at, "0.8"), (deleted_at - TICK, "0.8"),
                               (deleted_at, "1"), (None, "1")):
        assert await _price(client, model_id, first_day, known_at) == expected, known_at
        assert await _price(client, model_id, last_instant, known_at) == expected, known_at
        assert await _price(client, model_id, the_end, known_at) == "1", known_at
        assert await _price(client, model_id, "2027-02-28T23:59:59.999999Z", known_at) == "1", known_at
        if known_at is not None:
            assert await _estimate(client, model_id, first_day, known_at) == expected, known_at


async def _recorded_at(engine, promotion_id: int) -> datetime:
    return await _column(engine, "recorded_at", promotion_id)


async def _superseded_at(engine, promotion_id: int) -> datetime:
    return await _column(engine, "superseded_at", promotion_id)


async def _column(engine, column: str, promotion_id: int) -> datetime:
    async with engine.connect() as connection:
        value = await connection.scalar(text(f"SELECT {column} FROM promotions WHERE id = :id"), {"id": promotion_id})
    assert isinstance(value, datetime)
    return value
