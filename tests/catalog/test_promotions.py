"""Promotions: dated discounts that lower every token price of one model while valid; no overlaps."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_model, make_price
from tests.problems import assert_problem


def promotion(model: str, valid_from: str, valid_to: str | None, percent_off: str = "50") -> dict:
    return {"name": "Sale", "model": model, "percent_off": percent_off, "valid_from": valid_from,
            "valid_to": valid_to, "source": "test"}


async def test_a_promotion_lowers_the_effective_price_only_while_it_is_valid(client, session, writer):
    model = await make_model(session)
    await make_price(session, model.id, datetime(2026, 1, 1, tzinfo=UTC), input_per_mtok="2", output_per_mtok="8")
    created = await client.post("/v1/promotions", json=promotion(model.id, "2030-02-01T00:00:00Z",
                                                                 "2030-03-01T00:00:00Z", "12.5"), headers=writer)
    assert created.status_code == 201, created.text
    during = (await client.get(f"/v1/models/{model.id}/price", params={"at": "2030-02-15"})).json()
    after = (await client.get(f"/v1/models/{model.id}/price", params={"at": "2030-03-01"})).json()
    assert during["effective"]["input_per_mtok"] == "1.75"
    assert during["effective"]["output_per_mtok"] == "7"
    assert during["promotions"] == [{"id": created.json()["id"], "name": "Sale", "percent_off": "12.5"}]
    assert after["effective"]["input_per_mtok"] == "2"


async def test_overlapping_promotions_of_one_model_are_refused_with_409(client, session, writer):
    model = await make_model(session)
    first = promotion(model.id, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
    assert (await client.post("/v1/promotions", json=first, headers=writer)).status_code == 201
    second = promotion(model.id, "2026-02-20T00:00:00Z", None)
    response = await client.post("/v1/promotions", json=second, headers=writer)
    assert_problem(response, 409, type="conflict")


async def test_a_promotion_can_be_changed_and_deleted(client, session, writer):
    model = await make_model(session)
    created = (await client.post("/v1/promotions", json=promotion(model.id, "2030-02-01T00:00:00Z", None),
                                 headers=writer)).json()
    url = f"/v1/promotions/{created['id']}"
    changed = await client.patch(url, json={"valid_to": "2030-02-10T00:00:00Z", "percent_off": "20"}, headers=writer)
    assert changed.status_code == 200, changed.text
    assert changed.json()["percent_off"] == "20" and changed.json()["valid_to"] == "2030-02-10T00:00:00Z"
    # Superseded and recorded again: the change has an id of its own, and the old id says where it went.
    assert changed.json()["id"] != created["id"]
    gone = await client.get(url)
    assert gone.status_code == 404 and f"it is now promotion {changed.json()['id']}" in gone.json()["detail"]
    url = f"/v1/promotions/{changed.json()['id']}"
    assert (await client.get(url)).json() == changed.json()
    backwards = await client.patch(url, json={"valid_to": "2030-01-01T00:00:00Z"}, headers=writer)
    assert backwards.status_code == 422
    assert (await client.delete(url, headers=writer)).status_code == 204
    assert "was deleted" in (await client.get(url)).json()["detail"]


async def test_a_promotion_percent_must_be_above_0_and_at_most_100(client, session, writer):
    model = await make_model(session)
    for bad in ("0", "100.5", "-5", "NaN"):
        response = await client.post("/v1/promotions", json=promotion(model.id, "2026-02-01T00:00:00Z", None, bad),
                                     headers=writer)
        assert response.status_code == 422, (bad, response.text)


async def test_promotions_list_filters_by_model(client):
    body = (await client.get("/v1/promotions", params={"model": "deepseek-v4-flash"})).json()
    assert [(p["name"], p["valid_from"], p["valid_to"]) for p in body["data"]] == [
        ("V4-Flash launch discount", "2026-04-24T00:00:00Z", "2026-05-05T00:00:00Z")
    ]
