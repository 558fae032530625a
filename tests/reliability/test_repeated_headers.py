"""A header that says who the caller is may be sent once only (issue 15, item 11)."""

from __future__ import annotations

import pytest

from tests.problems import assert_problem


async def test_two_authorization_headers_are_a_400_even_when_one_key_is_good(client, writer, reader):
    for first, second in ((writer, reader), (reader, writer)):
        headers = [("authorization", first["Authorization"]), ("authorization", second["Authorization"]),
                   ("content-type", "application/json")]
        response = await client.post("/v1/providers", content=b'{"id": "twice-co", "name": "Twice"}', headers=headers)
        assert_problem(response, 400, type="malformed-request")


@pytest.mark.parametrize("name", ["authorization", "idempotency-key", "content-type"])
async def test_a_repeated_identity_header_on_an_anonymous_call_is_a_400(client, name):
    values = {"authorization": ("Bearer pk_a", "Bearer pk_b"), "idempotency-key": ("k1", "k2"),
              "content-type": ("application/json", "text/plain")}[name]
    headers = [(name, value) for value in values]
    if name != "content-type":
        headers.append(("content-type", "application/json"))
    body = b'{"model": "deepseek-v4-flash", "input_tokens": 1, "output_tokens": 1}'
    assert_problem(await client.post("/v1/estimate", content=body, headers=headers), 400, type="malformed-request")


async def test_one_authorization_header_is_taken(client, reader):
    assert (await client.get("/v1/feeds/changes", headers=reader)).status_code == 200
