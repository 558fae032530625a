"""Request bodies must be declared JSON: the Content-Type check every body-carrying request passes.

Why it matters: a browser page on any origin may POST a `text/plain`, form or multipart body without a CORS
preflight. Were such a body priced, any site could make its visitors' browsers call the API. A body whose type is
not `application/json` or a `+json` type is a 415 before any route reads it.
"""

from __future__ import annotations

from service.api.problems import ProblemError

_BODY_METHODS = {"POST", "PUT", "PATCH"}


def is_json_media_type(content_type: bytes) -> bool:
    """`application/json` or `application/<anything>+json`, with any parameters, in any case (RFC 6838)."""
    essence = content_type.split(b";", 1)[0].strip().lower()
    kind, _, subtype = essence.partition(b"/")
    return kind == b"application" and (subtype == b"json" or subtype.endswith(b"+json"))


def check_body_media_type(method: str, content_type: bytes | None, content_length: bytes | None,
                          chunked: bool) -> None:
    """Refuse a body that is not declared JSON with 415. A request with no body at all needs no type."""
    if method not in _BODY_METHODS:
        return
    if content_type is not None and is_json_media_type(content_type):
        return
    if not chunked and (content_length is None or content_length.strip() == b"0"):
        return
    shown = content_type.decode("latin-1")[:100] if content_type is not None else "no Content-Type"
    raise ProblemError(415, "unsupported-media-type", "Unsupported media type",
                       f"the body must be JSON, sent as 'Content-Type: application/json', not {shown}",
                       headers={"Accept-Post": "application/json", "Accept-Patch": "application/json"})
