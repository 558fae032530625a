"""Reading the change log: entries after a cursor, with each object in the shape the catalog API returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.feeds import schemas
from service.pricing.money import format_decimal
from service.pricing.prices import MORE_PRICES

# Rows are logged by the database as to_jsonb(row): read that text with exact decimals, then rename the
# foreign keys and format the money the way the catalog endpoints do.
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_RENAMED = {"model_id": "model", "provider_id": "provider"}
_INSTANTS = {"created_at", "updated_at", "valid_from", "valid_to", "recorded_at"}
# A price's components of migration 0016 are left out while unknown, as the catalog endpoints leave them out.
_LEFT_OUT_WHEN_NULL = frozenset(MORE_PRICES)


def api_object(row: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in row.items():
        if value is None and key in _LEFT_OUT_WHEN_NULL:
            continue
        if isinstance(value, Decimal):
            value = format_decimal(value)
        elif key in _INSTANTS and isinstance(value, str):
            value = datetime.fromisoformat(value)
        result[_RENAMED.get(key, key)] = value
    return result


# By the primary key on seq: a page reads its own rows, however long the history.
PAGE_QUERY = ("SELECT seq, kind, recorded_at, object::text FROM catalog_changes WHERE seq > :after "
              "ORDER BY seq LIMIT :limit")


async def changes_after(session: AsyncSession, after: int, limit: int) -> list[schemas.Change]:
    rows = await session.execute(text(PAGE_QUERY), {"after": after, "limit": limit})
    return [
        schemas.Change(seq=seq, kind=kind, recorded_at=recorded_at, object=api_object(_DECODER.decode(obj)))
        for seq, kind, recorded_at, obj in rows
    ]
