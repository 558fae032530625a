"""Bodies a hostile client sends: bytes that are not UTF-8, other media types, repeated keys (issue 15, items 4-6)."""

from __future__ import annotations

import json

import pytest

from tests.problems import assert_problem

JSON = {"content-type": "application/json"}
ESTIMATE = b'{"model": "deepseek-v4-flash", "input_tokens": 1000, "output_tokens": 10}'

# Every route that reads a JSON body, with a body it would otherwise take or refuse on its values.
WRITES = [
    ("POST", "/v1/estimate", ESTIMATE),
    ("POST", "/v1/estimate/batch", b'{"items": [' + ESTIMATE + b"]}"),
    ("POST", "/v1/estimate/compare", b'{"models": ["deepseek-v4-flash"], "input_tokens": 1, "output_tokens": 1}'),
    ("POST", "/v1/quotes", b'{"kind": "estimate", "request": ' + ESTIMATE + b"}"),
    ("POST", "/v1/providers", b'{"id": "hostile-co", "name": "Hostile"}'),
    ("PATCH", "/v1/providers/openai", b'{"name": "OpenAI"}'),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_a_body_that_is_not_utf8_is_a_400(client, writer, method, path, body):
    broken = body.replace(b'"', b'"\xff', 1)
    response = await client.request(method, path, content=broken, headers={**writer, **JSON})
    assert_problem(response, 400, type="malformed-request")


async def test_a_string_that_is_not_utf8_inside_a_batch_item_is_a_400(client):
    body = b'{"items": [{"model": "deepseek-v4-\xc3\x28", "input_tokens": 1, "output_tokens": 1}]}'
    assert_problem(await client.post("/v1/estimate/batch", content=body, headers=JSON), 400, type="malformed-request")


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                        "application/jsonx", None])
async def test_a_body_that_is_not_declared_json_is_a_415(client, writer, method, path, body, media_type):
    headers = {**writer, **({"content-type": media_type} if media_type else {})}
    response = await client.request(method, path, content=body, headers=headers)
    assert_problem(response, 415, type="unsupported-media-type")


@pytest.mark.parametrize("media_type", ["application/json; charset=utf-8", "Application/JSON",
                                        "application/merge-patch+json", "application/vnd.pricing+json"])
async def test_json_and_its_suffix_types_are_taken(client, media_type):
    response = await client.post("/v1/estimate", content=ESTIMATE, headers={"content-type": media_type})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_a_repeated_key_is_a_400(client, writer, method, path, body):
    # The same key twice in the outermost object: read naively, the last one wins.
    key, value = next(iter(json.loads(body).items()))
    repeated = body[:-1] + f", {json.dumps(key)}: {json.dumps(value)}}}".encode()
    response = await client.request(method, path, content=repeated, headers={**writer, **JSON})
    assert_problem(response, 400, type="malformed-request")


async def test_a_repeated_key_deep_inside_a_batch_item_is_a_400(client):
    body = b'{"items": [' + ESTIMATE + b', {"model": "gpt-4.1", "input_tokens": 1, "output_tokens": 2, ' \
           b'"output_tokens": 999999}]}'
    assert_problem(await client.post("/v1/estimate/batch", content=body, headers=JSON), 400, type="malformed-request")


async def test_the_same_key_in_two_objects_is_not_a_repeat(client):
    body = b'{"items": [' + ESTIMATE + b", " + ESTIMATE + b"]}"
    assert (await client.post("/v1/estimate/batch", content=body, headers=JSON)).status_code == 200
