"""Opaque keyset cursors: a list resumes after the last key it returned, however the table changes meanwhile."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.params import Parameter

from service.api.problems import InvalidCursor

K = TypeVar("K", str, int)

Limit = Annotated[int, Parameter(ge=1, le=500, description="page size (default 50, at most 500)")]
Cursor = Annotated[
    str | None, Parameter(max_length=400, description="the `next_cursor` of the previous page")
]


def encode_cursor(last_key: str | int) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode({"after": last_key})).decode().rstrip("=")


def decode_cursor(cursor: str | None, key_type: type[K]) -> K | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = msgspec.json.decode(base64.urlsafe_b64decode(padded.encode("ascii")))
        return msgspec.convert(payload["after"], key_type, strict=True)
    except (ValueError, binascii.Error, msgspec.DecodeError, KeyError, TypeError, UnicodeEncodeError):
        raise InvalidCursor("cursor is not one this service issued: pass `next_cursor` unchanged", "cursor") from None


def page_of(rows: list[Any], limit: int, key: str) -> tuple[list[Any], str | None]:
    """Rows were fetched with limit + 1: the extra row only says whether another page exists."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(getattr(rows[-1], key))


PAGING_DESCRIPTION = (
    "Pages in a stable order, by id: `limit` items a page (default 50, at most 500). Pass a page's `next_cursor` "
    "back unchanged as `cursor` for the next one; it is null on the last page."
)
