"""Price periods: history only grows, a new start closes the open period, any other overlap is a 409."""

from __future__ import annotations

import pytest

from tests.factories import make_model
from tests.problems import assert_problem


def period(valid_from: str, valid_to: str | None = None, input_price: str = "1", output_price: str = "2") -> dict:
    return {"valid_from": valid_from, "valid_to": valid_to, "input_per_mtok": input_price,
            "output_per_mtok": output_price, "source": "test"}


async def test_a_period_starting_inside_the_open_one_closes_it_at_its_start(client, session, writer):
    model = await make_model(session)
    first = await client.post(f"/v1/models/{model.id}/prices", json=period("2026-01-01T00:00:00Z"), headers=writer)
    assert first.status_code == 201, first.text
    second = await client.post(f"/v1/models/{model.id}/prices", json=period("2030-03-01T00:00:00Z", input_price="0.5"),
                               headers=writer)
    assert second.status_code == 201, second.text

    history = (await client.get(f"/v1/models/{model.id}/prices")).json()["data"]
    assert [(p["valid_from"], p["valid_to"], p["input_per_mtok"]) for p in history] == [
        ("2026-01-01T00:00:00Z", "2030-03-01T00:00:00Z", "1"),
        ("2030-03-01T00:00:00Z", None, "0.5"),
    ]
    # The closed row keeps its prices, source and recorded_at: only valid_to changed.
    assert history[0]["recorded_at"] == first.json()["recorded_at"]
    assert history[0]["source"] == "test"


async def test_a_period_overlapping_a_closed_period_is_refused_with_409(client, session, writer):
    model = await make_model(session)
    url = f"/v1/models/{model.id}/prices"
    assert (await client.post(url, json=period("2026-01-01", "2026-02-01"), headers=writer)).status_code == 422
    assert (await client.post(url, json=period("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
                              headers=writer)).status_code == 201
    response = await client.post(url, json=period("2026-01-15T00:00:00Z", "2026-03-01T00:00:00Z"), headers=writer)
    assert_problem(response, 409, type="conflict")


async def test_an_open_period_starting_before_the_open_one_is_refused_with_409(client, session, writer):
    model = await make_model(session)
    url = f"/v1/models/{model.id}/prices"
    assert (await client.post(url, json=period("2026-03-01T00:00:00Z"), headers=writer)).status_code == 201
    response = await client.post(url, json=period("2026-01-01T00:00:00Z"), headers=writer)
    assert response.status_code == 409


async def test_a_period_starting_at_the_same_instant_as_the_open_one_is_refused_with_409(client, session, writer):
    model = await make_model(session)
    url = f"/v1/models/{model.id}/prices"
    assert (await client.post(url, json=period("2026-03-01T00:00:00Z"), headers=writer)).status_code == 201
    response = await client.post(url, json=period("2026-03-01T00:00:00Z", input_price="9"), headers=writer)
    assert_problem(response, 409, type="conflict")


async def test_adjacent_half_open_periods_do_not_conflict(client, session, writer):
    model = await make_model(session)
    url = f"/v1/models/{model.id}/prices"
    assert (await client.post(url, json=period("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
                              headers=writer)).status_code == 201
    assert (await client.post(url, json=period("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
                              headers=writer)).status_code == 201


async def test_a_scheduled_future_price_takes_effect_at_its_start(client, session, writer):
    model = await make_model(session)
    url = f"/v1/models/{model.id}/prices"
    await client.post(url, json=period("2026-01-01T00:00:00Z", input_price="1"), headers=writer)
    await client.post(url, json=period("2099-01-01T00:00:00Z", input_price="0.25"), headers=writer)
    before = (await client.get(f"/v1/models/{model.id}/price", params={"at": "2098-12-31T23:59:59Z"})).json()
    after = (await client.get(f"/v1/models/{model.id}/price", params={"at": "2099-01-01"})).json()
    now = (await client.get(f"/v1/models/{model.id}/price")).json()
    assert before["list"]["input_per_mtok"] == "1"
    assert after["list"]["input_per_mtok"] == "0.25"
    assert now["list"]["input_per_mtok"] == "1"


async def test_a_model_without_a_price_at_that_instant_gets_a_404_that_says_so(client, session, writer):
    model = await make_model(session)
    await client.post(f"/v1/models/{model.id}/prices", json=period("2026-01-01T00:00:00Z"), headers=writer)
    response = await client.get(f"/v1/models/{model.id}/price", params={"at": "2025-12-31"})
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/no-price-at-instant"
    unknown = await client.get("/v1/models/no-such-model/price")
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "/problems/not-found"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "-0.5", "0.1234567890123", "1e999999999"])
async def test_bad_prices_are_refused_with_422_naming_the_field(client, session, writer, value):
    model = await make_model(session)
    body = period("2026-01-01T00:00:00Z", input_price=value)
    response = await client.post(f"/v1/models/{model.id}/prices", json=body, headers=writer)
    assert_problem(response, 422, type="invalid-amount", pointer="/input_per_mtok")


async def test_prices_accept_exact_json_numbers_and_up_to_12_fraction_digits(client, session, writer):
    model = await make_model(session)
    body = period("2026-01-01T00:00:00Z", input_price="0.000000000001")
    body["output_per_mtok"] = 0.28
    response = await client.post(f"/v1/models/{model.id}/prices", json=body, headers=writer)
    assert response.status_code == 201, response.text
    assert response.json()["input_per_mtok"] == "0.000000000001"
    assert response.json()["output_per_mtok"] == "0.28"


async def test_price_history_pages_with_a_cursor_oldest_first(client, session, writer):
    model = await make_model(session)
    for month in range(1, 6):  # future months: each closes the open period before it, which only the future may
        added = await client.post(f"/v1/models/{model.id}/prices", json=period(f"2030-0{month}-01T00:00:00Z"),
                                  headers=writer)
        assert added.status_code == 201, added.text
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/v1/models/{model.id}/prices", params=params)).json()
        seen += [p["valid_from"] for p in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"2030-0{m}-01T00:00:00Z" for m in range(1, 6)]
