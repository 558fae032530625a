"""What the catalog's lists share: their parameters and description, and an ETag that answers 304 before any query.

A list's ETag is made from the catalog's version (the snapshot's `seq`, the last change-log entry it holds) and
the normalized query. Read before the list's query runs, it never names a newer catalog than the answer shows:
an answer read just after a write may carry the version before it, and is then sent again once the snapshot has
the write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, NamedTuple

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from service.api.conditional import NOT_MODIFIED, still_fresh, version_etag
from service.api.instants import parse_instant
from service.api.pagination import PAGING_DESCRIPTION
from service.api.problems import responses

TextFilter = Annotated[str | None, Parameter(max_length=100, description="case-insensitive text in the id or name")]
ProviderFilter = Annotated[str | None, Parameter(max_length=100, description="only this provider's")]

LIST_HEADERS = {"Cache-Control": "no-cache"}
CACHING_DESCRIPTION = (
    "Every answer carries an `ETag` and `Cache-Control: no-cache`: send the ETag back in `If-None-Match` and an "
    "unchanged list is a 304, answered without reading the database. The ETag is made from the catalog's version "
    "and the query, so it changes whenever anything in the catalog changes (a provider, model, price or "
    "promotion), whether or not this page did."
)
LIST_ROUTE: dict[str, Any] = {
    "responses": {**responses(422, 503), **NOT_MODIFIED},
    "response_headers": [
        ResponseHeader(name="ETag", documentation_only=True, value='W/"l-1234-0123456789abcdef"',
                       description="weak; changes whenever the catalog changes: send it back in If-None-Match"),
        ResponseHeader(name="Cache-Control", documentation_only=True, value="no-cache",
                       description="no-cache: revalidate with If-None-Match before using a stored copy"),
    ],
}


def describe(filters: str) -> str:
    return f"{PAGING_DESCRIPTION} {filters} {CACHING_DESCRIPTION}"


def instant_or_none(value: str | None, field: str) -> datetime | None:
    """An optional instant parameter: absent stays absent (parse_instant would read it as now)."""
    return None if value is None else parse_instant(value, field=field)


def list_etag(request: Request[Any, Any, Any], name: str, after: str | int | None, limit: int,
              filters: NamedTuple) -> str:
    seq = request.app.state.snapshot_keeper.current.seq
    return version_etag(f"l-{seq}", {"list": name, "after": after, "limit": limit, **filters._asdict()})


def not_modified(request: Request[Any, Any, Any], etag: str) -> Response[Any] | None:
    """The 304 that answers a client holding `etag`, or None when it must be sent the list."""
    if still_fresh(request, etag):
        return Response(b"", status_code=304, headers={**LIST_HEADERS, "ETag": etag})
    return None


def page(body: Any, etag: str) -> Response[Any]:
    return Response(body, headers={**LIST_HEADERS, "ETag": etag})


# The `known_at` query parameter of the catalog's reads (docs/history.md).
KnownAt = Annotated[
    str | None,
    Parameter(description="answer as the catalog said at this record time (RFC 3339 with offset, or a date): "
                          "what was known then, before later corrections (docs/history.md); default now",
              max_length=64),
]
