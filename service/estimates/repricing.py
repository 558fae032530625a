"""`GET /v1/quotes/{id}/repriced`: a stored quote of any kind priced again on what the catalog knows now, beside the
totals it was answered with, and the corrections recorded since that explain the difference (docs/history.md)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal, localcontext
from typing import cast

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.decoding import convert_strict
from service.api.structs import Money, Schema
from service.catalog.price_queries import load_timelines
from service.catalog.schemas import CorrectionRef
from service.db.models import CorrectionRow, QuoteRow
from service.estimates.answers import off_loop
from service.estimates.limits import WorkLimits
from service.estimates.quotes import REQUEST_TYPES, Kind, quote_row
from service.estimates.repricing_kinds import ASKED, Stretch, Total, stretches_of, totals_of
from service.pricing.money import MONEY_CONTEXT, format_decimal
from service.pricing.timeline import CorrectionNote
from service.snapshot.catalog_snapshot import CatalogSnapshot


class RepricedTotal(Schema):
    """One of the answer's totals, then and now."""

    model: str | None  # the model it is the total of; null: the whole answer's (a batch's or a month's total)
    field: str  # where it is in the answer: cost.total, total, rows[].cost.total, models[].cost.expected, …
    total_then: Money | None  # null: the answer did not have it then (a model a comparison did not price then)
    total_now: Money | None  # null: today's answer does not have it
    difference: Money | None  # now minus then; null when either is


class RepricedQuote(Schema):
    quote_id: str
    kind: Kind
    known_at: datetime | None  # what the quote was priced on; null for quotes made before record time was kept
    # The answer's one total (estimate, batch, monthly), then, now and the difference; null for the kinds that have
    # one total per model (compare, project) or none (self-host without `compare_with`): see `totals`.
    total_then: Money | None
    total_now: Money | None
    difference: Money | None
    totals: list[RepricedTotal]  # every total of the answer, in the answer's order then (new ones after)
    corrections: list[CorrectionRef]  # recorded after known_at, meeting a stretch either answer priced


async def reprice(session: AsyncSession, snapshot: CatalogSnapshot, quote_id: str,
                  limits: WorkLimits) -> RepricedQuote:
    quote = await quote_row(session, quote_id)
    answered = msgspec.json.decode(quote.response)["result"]
    request = convert_strict(quote.request, REQUEST_TYPES[quote.kind])
    # The same request at the same instants; the history of the models it prices read now, from the database.
    asked = ASKED[quote.kind](snapshot, request, answered, quote.created_at, limits)
    _, timelines = await load_timelines(session, asked.model_ids)
    catalog = dataclasses.replace(snapshot, timelines=timelines)
    # A batch's or a project's pricing is big again: on the batch thread, as when the quote was made (create_quote).
    now = await off_loop(asked.price, catalog) if quote.kind in ("batch", "project") else asked.price(catalog)
    totals = _paired(totals_of(quote.kind, answered), totals_of(quote.kind, now))
    one = totals[0] if quote.kind in _ONE_TOTAL else _NO_TOTAL
    stretches = [*stretches_of(quote.kind, answered, asked.request), *stretches_of(quote.kind, now, asked.request)]
    return RepricedQuote(
        quote_id=quote.id, kind=cast(Kind, quote.kind), known_at=quote.known_at,
        total_then=one.total_then, total_now=one.total_now, difference=one.difference,
        totals=totals, corrections=await _corrections_since(session, quote, stretches))


_ONE_TOTAL = ("estimate", "batch", "monthly")  # the kinds whose answer has one total, repeated at the top
_NO_TOTAL = RepricedTotal(model=None, field="", total_then=None, total_now=None, difference=None)


def _paired(then: list[Total], now: list[Total]) -> list[RepricedTotal]:
    now_by_key = {(t.model, t.field): t.amount for t in now}
    keys = list(dict.fromkeys([(t.model, t.field) for t in then] + [(t.model, t.field) for t in now]))
    then_by_key = {(t.model, t.field): t.amount for t in then}
    paired = []
    for model, field in keys:
        before, after = then_by_key.get((model, field)), now_by_key.get((model, field))
        difference = None
        if before is not None and after is not None:
            with localcontext(MONEY_CONTEXT):
                difference = format_decimal(Decimal(after) - Decimal(before))
        paired.append(RepricedTotal(model=model, field=field, total_then=before, total_now=after,
                                    difference=difference))
    return paired


async def _corrections_since(session: AsyncSession, quote: QuoteRow, stretches: list[Stretch]) -> list[CorrectionRef]:
    """The corrections recorded after the quote's `known_at` (all, for a quote without one) that meet a stretch of
    valid time either answer priced, oldest first."""
    models = {s.model for s in stretches}
    if not models:
        return []
    query = select(CorrectionRow).where(CorrectionRow.model_id.in_(models))
    if quote.known_at is not None:
        query = query.where(CorrectionRow.recorded_at > quote.known_at)
    found = []
    for row in await session.scalars(query.order_by(CorrectionRow.id)):  # few: corrections are rare
        note = CorrectionNote(row.id, row.reason, row.valid_from, row.valid_to)
        if any(s.model == row.model_id and (note.covers(s.start) if s.end is None else note.meets(s.start, s.end))
               for s in stretches):
            found.append(CorrectionRef(id=row.id, reason=row.reason))
    return found
