"""Optimistic concurrency: an ETag on each provider, model and promotion, and If-Match on changes (412)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from litestar import Response
from litestar.params import HeaderParameter

from service.api.problems import ProblemError

IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", max_length=200, required=False,
              description="the ETag you last read: the change is refused with 412 if the object changed since"),
]


def etag_of(row: Any) -> str:
    version = f"{type(row).__name__}:{row.id}:{row.updated_at.isoformat()}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'


def require_match(row: Any, if_match: str | None) -> None:
    if if_match is None:
        return
    tags = {tag.strip() for tag in if_match.split(",")}
    if "*" not in tags and etag_of(row) not in tags:
        raise ProblemError(412, "precondition-failed", "Precondition failed",
                           "the object changed since you read it (If-Match does not match its ETag): "
                           "read it again, then retry your change")


def with_etag(body: Any, row: Any, status_code: int = 200) -> Response[Any]:
    return Response(body, status_code=status_code, headers={"ETag": etag_of(row)})
