"""From request bodies to core calls and back: every estimate prices from the in-process catalog snapshot.

Each function returns the response body and the ids of the price rows it used (for quotes).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, localcontext

from service.catalog import render
from service.catalog.snapshot import CatalogSnapshot
from service.estimates import schemas
from service.instants import parse_instant
from service.pricing.estimate import Estimate, check_retry_factor, estimate
from service.pricing.money import MONEY_CONTEXT, format_decimal
from service.pricing.timeline import EffectivePrice
from service.pricing.usage import Usage, UsageError
from service.problems import ProblemError, invalid, not_found


def usage_of(request: schemas.EstimateRequest | schemas.CompareRequest | schemas.MonthlyRequest) -> Usage:
    try:
        return Usage(request.input_tokens, request.output_tokens, request.cached_input_tokens,
                     request.cache_write_tokens)
    except UsageError as exc:
        raise invalid(exc.field, str(exc)) from None


def retry_factor_of(value: Decimal) -> Decimal:
    try:
        return check_retry_factor(value)
    except ValueError as exc:
        raise invalid("retry_factor", str(exc)) from None


def price_at(snapshot: CatalogSnapshot, model: str, at: datetime) -> EffectivePrice:
    timeline = snapshot.timelines.get(model)
    if timeline is None:
        raise not_found("model", model)
    found = timeline.price_at(at)
    if found is None:
        raise ProblemError(404, "no-price-at-instant", "No price at that instant",
                           f"model '{model}' has no price at {at.isoformat()}")
    return found


def cost_of(result: Estimate) -> schemas.Cost:
    cost = result.cost
    per_session = format_decimal(cost.per_session)
    # One session at a retry factor of 1, the usual request, costs per_session in total: format it once.
    total = per_session if result.total == cost.per_session else format_decimal(result.total)
    return schemas.Cost(
        input=format_decimal(cost.input), cached_input=format_decimal(cost.cached_input),
        output=format_decimal(cost.output), cache_write=format_decimal(cost.cache_write),
        per_session=per_session, total=total,
    )


def estimate_one(
    snapshot: CatalogSnapshot, request: schemas.EstimateRequest, now: datetime | None = None
) -> tuple[schemas.EstimateResult, Estimate, int]:
    """The estimate body, the core result (for totals) and the price row used."""
    at = parse_instant(request.at) if request.at is not None else (now or parse_instant(None))
    usage = usage_of(request)
    factor = retry_factor_of(request.retry_factor)
    found = price_at(snapshot, request.model, at)
    result = estimate(found.effective, usage, request.sessions, factor)
    body = schemas.EstimateResult(
        model=request.model, at=at, currency="USD", price=render.effective_price(request.model, at, found),
        cost=cost_of(result), sessions=request.sessions, retry_factor=format_decimal(factor),
        warnings=list(result.warnings),
    )
    return body, result, found.period.id


def total_of(results: list[Estimate]) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return sum((r.total for r in results), Decimal(0))
