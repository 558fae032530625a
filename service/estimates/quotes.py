"""Quotes: an estimate stored with the exact bytes it was answered with, so its id means one answer forever."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.params import KwargDefinition
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog.snapshot import CatalogSnapshot
from service.db.models import Quote
from service.estimates import schemas
from service.estimates.batch import estimate_batch
from service.estimates.comparison import compare_models
from service.estimates.compute import estimate_one
from service.estimates.monthly import monthly_estimate
from service.estimates.selfhost import self_host_estimate
from service.problems import invalid, not_found

_QUOTE_ID = re.compile(r"^q_[A-Za-z0-9_-]{1,64}$")
Kind = Literal["estimate", "batch", "compare", "monthly", "self-host"]
_REQUEST_TYPES: dict[str, type[msgspec.Struct]] = {
    "estimate": schemas.EstimateRequest, "batch": schemas.BatchRequest, "compare": schemas.CompareRequest,
    "monthly": schemas.MonthlyRequest, "self-host": schemas.SelfHostRequest,
}
_REQUEST_DOC = KwargDefinition(
    description="the body you would send to the estimate endpoint of that kind",
    schema_extra={"oneOf": [{"$ref": f"#/components/schemas/{t.__name__}"} for t in _REQUEST_TYPES.values()]},
)


class QuoteRequest(schemas.Schema):
    kind: Kind
    request: Annotated[dict[str, Any], _REQUEST_DOC]


class QuoteBody(schemas.Schema):
    id: str
    kind: Kind
    created_at: datetime
    request: dict[str, Any]
    result: Any
    price_ids: list[int]


def _compute(snapshot: CatalogSnapshot, kind: str, request: msgspec.Struct) -> tuple[msgspec.Struct, list[int]]:
    if kind == "estimate":
        body, _, price_id = estimate_one(snapshot, request)  # type: ignore[arg-type]
        return body, [price_id]
    if kind == "batch":
        return estimate_batch(snapshot, request.items)  # type: ignore[attr-defined]
    if kind == "compare":
        return compare_models(snapshot, request)  # type: ignore[arg-type]
    if kind == "monthly":
        return monthly_estimate(snapshot, request)  # type: ignore[arg-type]
    return self_host_estimate(snapshot, request)  # type: ignore[arg-type]


async def create_quote(session: AsyncSession, snapshot: CatalogSnapshot, data: QuoteRequest) -> bytes:
    try:
        request = msgspec.convert(data.request, _REQUEST_TYPES[data.kind])
    except msgspec.ValidationError as exc:
        raise invalid("request", f"request is not a valid {data.kind} request: {exc}") from None
    result, price_ids = _compute(snapshot, data.kind, request)
    quote_id = "q_" + secrets.token_urlsafe(16)
    request_doc = msgspec.to_builtins(request)
    body = msgspec.json.encode(QuoteBody(
        id=quote_id, kind=data.kind, created_at=datetime.now(UTC), request=request_doc, result=result,
        price_ids=price_ids,
    ))
    session.add(Quote(id=quote_id, kind=data.kind, request=request_doc, response=body, price_ids=price_ids))
    await session.flush()
    return body


async def get_quote(session: AsyncSession, quote_id: str) -> bytes:
    quote = await session.get(Quote, quote_id) if _QUOTE_ID.match(quote_id) else None
    if quote is None:
        raise not_found("quote", quote_id)
    return quote.response
