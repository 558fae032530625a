"""Problems never carry the database driver's text; the largest documented price is stored (issue 15, item 8)."""

from __future__ import annotations

from tests.factories import make_model
from tests.problems import assert_problem

# Words of PostgreSQL's and asyncpg's own messages, which say how the service is built.
DRIVER_WORDS = ("asyncpg", "sqlalchemy", "numeric", "precision", "byte sequence", "0x00", "encoding", "sql",
                "postgres", "overflow")


def assert_no_driver_text(problem: dict) -> None:
    text = str(problem).lower()
    assert not [word for word in DRIVER_WORDS if word in text], problem


def price(amount: str) -> dict:
    return {"valid_from": "2031-01-01T00:00:00Z", "input_per_mtok": amount, "output_per_mtok": "1", "source": "test"}


async def test_a_string_the_database_cannot_store_is_a_422_without_driver_text(client, writer):
    response = await client.post("/v1/providers", json={"id": "nul-co", "name": "Nul\u0000Co"}, headers=writer)
    assert_no_driver_text(assert_problem(response, 422))


async def test_a_price_above_the_stored_bound_is_a_422_naming_the_field(client, session, writer):
    model = await make_model(session)
    response = await client.post(f"/v1/models/{model.id}/prices", json=price("1000000000000"), headers=writer)
    assert_no_driver_text(assert_problem(response, 422, type="invalid-amount", pointer="/input_per_mtok"))


async def test_the_largest_documented_price_is_stored_to_the_last_digit(client, session, writer):
    model = await make_model(session)
    largest = "999999999999.999999999999"
    response = await client.post(f"/v1/models/{model.id}/prices", json=price(largest), headers=writer)
    assert response.status_code == 201, response.text
    assert response.json()["input_per_mtok"] == largest
