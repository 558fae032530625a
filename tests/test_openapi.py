"""The committed spec is what the app serves, and it documents what the API really does."""

from __future__ import annotations

import json
from pathlib import Path

from service.cli.main import openapi_document

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def _walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


async def test_the_committed_spec_equals_the_served_spec(client):
    served = (await client.get("/schema/openapi.json")).json()
    assert json.loads(COMMITTED.read_text()) == served, "run `make openapi` and commit openapi/openapi.json"
    assert json.loads(openapi_document()) == served


def test_every_money_field_carries_a_decimal_pattern():
    spec = json.loads(COMMITTED.read_text())
    money = [(path, node) for path, node in _walk(spec["components"]["schemas"])
             if path and str(path[-1]).endswith(("_per_mtok", "percent_off")) and isinstance(node, dict)]
    assert money, "no money fields found"
    for path, node in money:
        assert "pattern" in node, f"{'.'.join(map(str, path))} has no pattern"


def test_every_operation_documents_its_problem_responses():
    spec = json.loads(COMMITTED.read_text())
    for route, item in spec["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if route.startswith("/v1/"):
                assert {"422", "500", "503"} <= codes, (method, route, codes)
            if method in {"post", "patch"}:  # a body: malformed, or over the size limit
                assert {"400", "413"} <= codes, (method, route, codes)
            if any(parameter["name"] == "Idempotency-Key" for parameter in operation.get("parameters", [])):
                assert "409" in codes and "Idempotency-Key" in operation["responses"]["409"]["description"]
            if operation.get("security"):
                assert {"401", "403"} <= codes, (method, route, codes)
            if route.startswith(("/v1/providers", "/v1/models", "/v1/promotions")) and method != "get":
                assert operation.get("security") == [{"apiKey": []}], (method, route)
                assert "409" in codes, (method, route, codes)
            if "{" in route:
                assert "404" in codes, (method, route, codes)


def test_every_list_takes_limit_50_by_default_and_500_at_most():
    spec = json.loads(COMMITTED.read_text())
    limits = [(route, parameter["schema"]) for route, item in spec["paths"].items() for operation in item.values()
              for parameter in operation.get("parameters", []) if parameter["name"] == "limit"]
    assert len(limits) >= 4, limits
    for route, schema in limits:
        assert (schema.get("default"), schema.get("maximum")) == (50, 500), route


def test_every_error_response_is_a_problem_and_a_400_needs_a_body():
    """The spec documents only what the server sends: every 4xx/5xx body is the one Problem shape (Litestar's own
    `{status_code, detail, extra}` 400 is never sent), and a 400 (a malformed JSON body) only where a body is read."""
    spec = json.loads(COMMITTED.read_text())
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    checked = 0
    for route, item in spec["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if not code.startswith(("4", "5")):
                    continue
                checked += 1
                assert response.get("content") == {"application/problem+json": problem}, (method, route, code)
                if code == "400":
                    assert "requestBody" in operation, f"{method} {route} documents a 400 but reads no body"
    assert checked > 100, checked
