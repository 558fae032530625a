"""HEAD is answered on every GET route as HTTP says: the GET's status and headers, no body (issue 15, item 9)."""

from __future__ import annotations

import pytest

GETS = [
    "/v1/providers", "/v1/models", "/v1/models/deepseek-v4-flash", "/v1/models/deepseek-v4-flash/prices",
    "/v1/models/deepseek-v4-flash/price?at=2026-05-01", "/v1/promotions", "/v1/aliases",
    "/v1/estimate?model=deepseek-v4-flash&input_tokens=10&output_tokens=1", "/v1/models/no-such-model",
    "/health/live", "/", "/schema/openapi.json",
]


@pytest.mark.parametrize("path", GETS)
async def test_head_answers_as_get_without_a_body(client, path):
    get, head = await client.get(path), await client.head(path)
    assert head.status_code == get.status_code != 405, head.text
    assert head.content == b""
    assert head.headers.get("content-type") == get.headers.get("content-type")
    assert head.headers.get("content-length") == get.headers.get("content-length")


async def test_head_on_the_feeds_needs_a_key_as_get_does(client, reader):
    assert (await client.head("/v1/feeds/prices")).status_code == 401
    response = await client.head("/v1/feeds/prices", headers=reader)
    assert response.status_code == 200 and response.content == b""


async def test_a_405_lists_head_beside_get(client):
    response = await client.put("/v1/providers", json={})
    assert response.status_code == 405
    assert "HEAD" in response.headers["allow"] and "GET" in response.headers["allow"]
