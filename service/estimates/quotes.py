"""Quotes: an estimate stored with the exact bytes it was answered with, so its id means one answer forever.

A quote stored by an anonymous caller expires (`expires_at` in its answer): read after that, it is a 410 `gone`.
A quote stored with an API key has `expires_at: null` and is kept.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.decoding import convert_strict
from service.api.problems import ProblemError, invalid, not_found
from service.catalog.history import write_time
from service.db.models import QuoteRow
from service.estimates import schemas
from service.estimates.answers import off_loop
from service.estimates.batch import estimate_batch
from service.estimates.comparison import compare_models
from service.estimates.compute import Priced, estimate_one, refuse_known_at
from service.estimates.limits import WorkLimits
from service.estimates.monthly import monthly_estimate
from service.estimates.project import project_estimate
from service.estimates.project_schemas import ProjectEstimateRequest
from service.estimates.selfhost import self_host_estimate
from service.pricing.errors import InputError, InvalidValue
from service.snapshot.catalog_snapshot import CatalogSnapshot

_QUOTE_ID = re.compile(r"^q_[A-Za-z0-9_-]{1,64}$")
Kind = Literal["estimate", "batch", "compare", "monthly", "self-host", "project"]
REQUEST_TYPES: dict[str, type[msgspec.Struct]] = {
    "estimate": schemas.EstimateRequest, "batch": schemas.BatchRequest, "compare": schemas.CompareRequest,
    "monthly": schemas.MonthlyRequest, "self-host": schemas.SelfHostRequest,
    "project": ProjectEstimateRequest,
}
QUOTE_REQUEST_DESCRIPTION = (
    "The estimate request to quote, in either of two forms: nested, `{\"kind\": \"estimate\", \"request\": "
    "{…}}`, or flat, the request's own fields with `kind` beside them (`{\"kind\": \"estimate\", \"model\": …}`). "
    "A body with a `request` field is read as nested. `kind` names the endpoint whose request it is: estimate, batch, "
    "compare, monthly, self-host or project.")


def read_quote_request(body: Any) -> tuple[Kind, msgspec.Struct]:
    """The kind and the typed request of a quote request body, nested or flat."""
    if not isinstance(body, dict):
        raise InvalidValue(f"a quote request is a JSON object, got {type(body).__name__}")
    if "request" in body:
        unknown = sorted(set(body) - {"kind", "request"})
        if unknown:
            raise invalid(unknown[0], f"a nested quote request holds only `kind` and `request`, not `{unknown[0]}`")
        fields = body["request"]
        if not isinstance(fields, dict):
            raise invalid("request", f"request must be a JSON object, got {type(fields).__name__}")
    else:
        fields = {name: value for name, value in body.items() if name != "kind"}
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in REQUEST_TYPES:
        raise invalid("kind", f"kind must be one of {', '.join(REQUEST_TYPES)}, got {kind!r:.60}")
    try:
        return cast(Kind, kind), convert_strict(fields, REQUEST_TYPES[kind])
    except InputError as exc:
        # Nested, the fault is inside `request`; flat, it is one of the body's own fields.
        located = exc.within("request") if "request" in body else exc
        raise located.about(f"not a valid {kind} request") from None


class QuoteBody(schemas.Schema):
    id: str
    kind: Kind
    created_at: datetime
    expires_at: datetime | None  # an anonymous caller's quote is read until then; a keyed caller's is kept (null)
    request: dict[str, Any]
    result: Any
    price_ids: list[int]
    known_at: datetime  # the record time of the catalog it was priced on (docs/history.md)


def _compute(snapshot: CatalogSnapshot, request: msgspec.Struct, limits: WorkLimits) -> Priced[msgspec.Struct]:
    # By the request's type, which read_quote_request chose from `kind`.
    if isinstance(request, schemas.EstimateRequest):
        one = estimate_one(snapshot, request)
        return Priced(one.body, [one.price_id])
    if isinstance(request, schemas.BatchRequest):
        refuse_known_at(request.known_at)  # an item's own is refused in its place, by estimate_one
        return estimate_batch(snapshot, request.items, limits=limits)
    if isinstance(request, schemas.CompareRequest):
        return compare_models(snapshot, request)
    if isinstance(request, schemas.MonthlyRequest):
        return monthly_estimate(snapshot, request)
    if isinstance(request, ProjectEstimateRequest):
        return project_estimate(snapshot, request, limits)  # type: ignore[return-value]
    assert isinstance(request, schemas.SelfHostRequest)
    return self_host_estimate(snapshot, request)


async def create_quote(session: AsyncSession, snapshot: CatalogSnapshot, body: Any,
                       retention: timedelta | None, limits: WorkLimits) -> bytes:
    """Store the quote; with a `retention` (an anonymous caller) it expires that long after it is made."""
    kind, request = read_quote_request(body)
    if isinstance(request, schemas.BatchRequest | ProjectEstimateRequest):
        # Up to 10,000 items or offerings, tens of milliseconds of CPU: on the batch thread, as on their own
        # endpoints (service/estimates/heavy_posts.py), so that the event loop serves other requests meanwhile.
        result, price_ids = await off_loop(_compute, snapshot, request, limits)
    else:
        result, price_ids = _compute(snapshot, request, limits)
    quote_id = "q_" + secrets.token_urlsafe(16)
    request_doc = msgspec.to_builtins(request)
    known_at = await write_time(session)
    created_at = datetime.now(UTC)
    expires_at = None if retention is None else created_at + retention
    body = msgspec.json.encode(QuoteBody(
        id=quote_id, kind=kind, created_at=created_at, expires_at=expires_at, request=request_doc, result=result,
        price_ids=price_ids, known_at=known_at,
    ))
    session.add(QuoteRow(id=quote_id, kind=kind, request=request_doc, response=body, price_ids=price_ids,
                         created_at=created_at, expires_at=expires_at, known_at=known_at))
    await session.flush()
    return body


async def get_quote(session: AsyncSession, quote_id: str) -> bytes:
    return (await quote_row(session, quote_id)).response


async def quote_row(session: AsyncSession, quote_id: str) -> QuoteRow:
    """The stored quote; a 404 when there is none, a 410 when it was stored anonymously and has expired."""
    found = (await session.execute(select(QuoteRow, QuoteRow.expires_at <= func.now())
                                   .where(QuoteRow.id == quote_id))).first() if _QUOTE_ID.match(quote_id) else None
    if found is None:
        raise not_found("quote", quote_id)
    quote, expired = found
    if expired:  # by the database's clock, which also wrote created_at in tests and restores
        raise ProblemError(410, "gone", "Gone", f"quote '{quote_id}' was stored anonymously and its expires_at has "
                                                "passed; store quotes with an API key to keep them")
    return quote

