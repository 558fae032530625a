"""The one check of a problem response: status, media type, shape, and what it is by `type` and `pointer` only.

Tests never read a problem's `detail` or messages: they are for people, and rewording them must break nothing.
"""

from __future__ import annotations

from typing import Any


def assert_problem(response: Any, *statuses: int, type: str | None = None, pointer: str | None = None,
                   field: str | None = None) -> dict:
    """The problem's body, after checking it is one of `statuses`, of `type` (a slug under /problems/), and that
    its `errors` name the field at `pointer` (RFC 6901 into the body) or, for a parameter or header, `field`."""
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == response.status_code, body
    if response.status_code == 422:  # the contract: every 422 names its fields
        assert body["errors"] and all(error["field"] and error["message"] for error in body["errors"]), body
    if type is not None:
        assert body["type"] == f"/problems/{type}", body
    if pointer is not None:
        assert pointer in [error.get("pointer") for error in body.get("errors") or []], body
    if field is not None:
        assert field in [error["field"] for error in body.get("errors") or []], body
    return body
