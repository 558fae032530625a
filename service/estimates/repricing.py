"""`GET /v1/quotes/{id}/repriced`: a stored estimate quote priced again on what the catalog knows now, beside the
total it was answered with, and the corrections recorded since that explain the difference (docs/history.md)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal, localcontext

import msgspec
from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.decoding import convert_strict
from service.api.problems import invalid
from service.api.structs import Money, Schema
from service.catalog.price_queries import load_timelines
from service.catalog.schemas import CorrectionRef
from service.db.models import CorrectionRow
from service.estimates import schemas
from service.estimates.compute import estimate_one
from service.estimates.quotes import quote_row
from service.pricing.money import MONEY_CONTEXT, format_decimal
from service.snapshot.catalog_snapshot import CatalogSnapshot


class RepricedQuote(Schema):
    quote_id: str
    known_at: datetime | None  # what the quote was priced on; null for quotes made before record time was kept
    total_then: Money
    total_now: Money
    difference: Money  # now minus then
    corrections: list[CorrectionRef]  # recorded after known_at, their stretch covering the quote's instant


async def reprice(session: AsyncSession, snapshot: CatalogSnapshot, quote_id: str) -> RepricedQuote:
    quote = await quote_row(session, quote_id)
    if quote.kind != "estimate":
        raise invalid("quote_id", f"quote {quote_id} is a {quote.kind} quote: only estimate quotes are repriced yet")
    answered = msgspec.json.decode(quote.response)["result"]
    model, at = answered["model"], datetime.fromisoformat(answered["at"])
    request = convert_strict(quote.request, schemas.EstimateRequest)
    # The same instant and offering as first priced; the model's history read now, from the database.
    _, timelines = await load_timelines(session, [model])
    now = estimate_one(dataclasses.replace(snapshot, timelines=timelines), msgspec.structs.replace(
        request, model=model, at=answered["at"], requested_at=answered["requested_at"])).body
    then_total, now_total = Decimal(answered["cost"]["total"]), Decimal(now.cost.total)
    with localcontext(MONEY_CONTEXT):
        difference = now_total - then_total
    stretch = func.tstzrange(CorrectionRow.valid_from, CorrectionRow.valid_to, "[)")
    query = select(CorrectionRow).where(CorrectionRow.model_id == model, stretch.op("@>")(literal(at)))
    if quote.known_at is not None:
        query = query.where(CorrectionRow.recorded_at > quote.known_at)
    found = await session.scalars(query.order_by(CorrectionRow.id))
    return RepricedQuote(quote_id=quote.id, known_at=quote.known_at, total_then=format_decimal(then_total),
                         total_now=now.cost.total, difference=format_decimal(difference),
                         corrections=[CorrectionRef(id=c.id, reason=c.reason) for c in found])
