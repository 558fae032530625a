"""Bad input gets an RFC 9457 problem with a message that says what to fix, never a 500."""

from __future__ import annotations

from tests.factories import make_model
from tests.problems import assert_problem


async def test_malformed_json_is_a_400_problem(client, writer):
    response = await client.post("/v1/providers", content=b'{"id": "x", ', headers={**writer,
                                 "content-type": "application/json"})
    assert_problem(response, 400)


async def test_unknown_fields_are_a_422_naming_the_field(client, writer):
    response = await client.post("/v1/providers", json={"id": "x-corp", "name": "X", "colour": "red"}, headers=writer)
    assert_problem(response, 422, type="validation-error", pointer="/colour")


async def test_a_wrong_type_is_a_422_naming_the_field(client, session, writer):
    model = await make_model(session)
    body = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": True, "output_per_mtok": "1", "source": "t"}
    problem = assert_problem(await client.post(f"/v1/models/{model.id}/prices", json=body, headers=writer), 422)
    assert problem["errors"][0]["field"] == "input_per_mtok"


async def test_a_bad_price_names_the_field_in_errors(client, session, writer):
    model = await make_model(session)
    body = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "NaN", "output_per_mtok": "1", "source": "t"}
    assert_problem(await client.post(f"/v1/models/{model.id}/prices", json=body, headers=writer), 422,
                   type="invalid-amount", pointer="/input_per_mtok")


async def test_a_bad_slug_is_a_422(client, writer):
    for bad in ("Upper", "-dash", "a/b", "a\u0000b", "x" * 101, "trailing-newline\n"):
        response = await client.post("/v1/providers", json={"id": bad, "name": "X"}, headers=writer)
        assert_problem(response, 422)


async def test_a_bad_at_is_a_422_that_shows_the_accepted_forms(client):
    for bad in ("yesterday", "2026-13-01", "2026-04-30T12:00:00", "9999-12-31T23:59:59-01:00"):
        assert_problem(await client.get("/v1/models/gpt-4.1/price", params={"at": bad}), 422,
                       type="invalid-instant", field="at")


async def test_an_unknown_route_is_a_404_problem(client):
    assert_problem(await client.get("/v1/nothing-here"), 404)


async def test_a_timestamp_without_offset_in_a_body_is_a_422(client, session, writer):
    model = await make_model(session)
    body = {"valid_from": "2026-01-01T00:00:00", "input_per_mtok": "1", "output_per_mtok": "1", "source": "t"}
    assert_problem(await client.post(f"/v1/models/{model.id}/prices", json=body, headers=writer), 422)


async def test_a_date_and_a_timestamp_follow_one_range(client):
    # In range: GPT-4.1's current price is open-ended, and it had none in year 2.
    for good, status in (("9998-12-31", 200), ("9998-12-31T23:59:59Z", 200), ("0002-01-01", 404),
                         ("0002-01-01T00:00:00Z", 404)):
        response = await client.get("/v1/models/gpt-4.1/price", params={"at": good})
        assert response.status_code == status, (good, response.text)
    for bad in ("9999-12-31", "9999-12-31T00:00:00Z", "0001-01-01", "0001-06-01T00:00:00Z",
                "9998-12-31T23:00:00-02:00"):
        assert_problem(await client.get("/v1/models/gpt-4.1/price", params={"at": bad}), 422,
                       type="invalid-instant", field="at")
