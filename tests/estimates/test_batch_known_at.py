"""`known_at` on POST /v1/estimate/batch (issue 18): items priced as the catalog said at a record time, the batch's or
their own, from the database; items without one from the snapshot, as in every batch."""

from __future__ import annotations

from sqlalchemy import event

from tests.catalog.test_known_at import TICK, _end_the_discount_a_day_earlier, _estimate

BATCH = "/v1/estimate/batch"


async def test_a_batch_known_before_a_correction_is_priced_as_then_and_names_no_correction(client, session):
    correction, now = await _end_the_discount_a_day_earlier(client, session)
    body = {"known_at": (now - TICK).isoformat(), "items": [_estimate(), _estimate(now)]}
    answer = await client.post(BATCH, json=body)
    assert answer.status_code == 200, answer.text
    before, after = (item["result"] for item in answer.json()["data"])
    assert (before["cost"]["total"], after["cost"]["total"]) == ("0.035", "0.14")  # an item's own known_at wins
    assert before["price"]["corrections"] == [] and before["price"]["promotions"] != []
    assert after["price"]["corrections"] == [{"id": correction["id"], "reason": "the discount ended on May 4"}]
    assert answer.json()["total"] == "0.175"


async def test_a_batch_item_without_known_at_is_priced_from_the_snapshot(client, session):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    answer = await client.post(BATCH, json={"items": [_estimate(now), _estimate()]})
    then, today = (item["result"] for item in answer.json()["data"])
    # The test's snapshot is the committed catalog's, which the rolled-back correction never reaches.
    assert today == (await client.post("/v1/estimate", json=_estimate())).json()
    assert (then["cost"]["total"], today["cost"]["total"]) == ("0.14", "0.035")
    assert "known_at" not in today["price"] and "known_at" in then["price"]


async def test_a_batch_item_as_known_then_equals_the_single_estimate(client, session):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    for known_at in (now - TICK, now):
        single = (await client.post("/v1/estimate", json=_estimate(known_at))).json()
        batch = (await client.post(BATCH, json={"items": [_estimate(known_at)]})).json()
        assert batch["data"][0]["result"] == single


async def test_a_bad_known_at_fails_its_item_alone(client):
    answer = await client.post(BATCH, json={"items": [{**_estimate(), "known_at": "yesterday"}, _estimate()]})
    assert answer.status_code == 200, answer.text
    bad, good = answer.json()["data"]
    assert not bad["ok"] and bad["error"]["errors"][0]["field"] == "known_at" and bad["error"]["status"] == 422
    assert good["ok"]


async def test_a_bad_batch_known_at_fails_every_item_that_uses_it(client):
    answer = await client.post(BATCH, json={"known_at": "yesterday", "items": [_estimate(), {"model": "x"}]})
    assert [item["ok"] for item in answer.json()["data"]] == [False, False]


async def test_a_batch_reads_each_model_s_rows_once_not_once_per_item(client, session, connection):
    _, now = await _end_the_discount_a_day_earlier(client, session)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(connection.sync_engine, "before_cursor_execute", count)
    try:
        few = await client.post(BATCH, json={"known_at": now.isoformat(), "items": [_estimate()]})
        reads_for_one = len(statements)
        statements.clear()
        many = await client.post(BATCH, json={"known_at": now.isoformat(), "items": [_estimate()] * 200})
    finally:
        event.remove(connection.sync_engine, "before_cursor_execute", count)
    assert few.status_code == many.status_code == 200
    assert reads_for_one > 0 and len(statements) == reads_for_one
