"""Conditional GETs: a strong ETag computed from the response bytes, and a 304 when If-None-Match matches.

Litestar (2.25) sets an ETag header when given one but never evaluates If-None-Match or answers 304 itself.
Answers decided by a version of the data and their query alone (the catalog's lists) take a weak ETag made from
those two instead, so that a 304 costs no query at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec

NOT_MODIFIED = {304: ResponseSpec(None, description="Not modified: the `If-None-Match` ETag still matches")}


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def conditional(
    request: Request[Any, Any, Any], body: bytes, media_type: str, headers: dict[str, str], etag: str | None = None
) -> Response[bytes]:
    """`body` with its ETag (computed unless given), or a 304 with no body when the client already has it."""
    etag = etag or strong_etag(body)
    headers = {**headers, "ETag": etag}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110, 13.1.2): W/"x" matches "x", and * matches any."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def version_etag(version: str, query: Mapping[str, object]) -> str:
    """A weak ETag for an answer decided by a version of the data and the query alone: known before any query
    runs. Weak, because an answer read just after a write may still carry the version before it."""
    digest = hashlib.sha256(msgspec.json.encode(query, order="sorted")).hexdigest()[:16]
    return f'W/"{version}-{digest}"'


def still_fresh(request: Request[Any, Any, Any], etag: str) -> bool:
    """Whether If-None-Match holds `etag`, compared weakly (so a weak `etag` matches too)."""
    return matches(request.headers.get("if-none-match"), etag.removeprefix("W/"))
