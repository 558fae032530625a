"""One usage priced on several models, with ratios against a baseline model, cheapest first."""

from __future__ import annotations

from decimal import Decimal

from service.catalog.snapshot import CatalogSnapshot
from service.estimates import schemas
from service.estimates.compute import cost_of, price_at, retry_factor_of, usage_of
from service.instants import parse_instant
from service.pricing.compare import compare
from service.pricing.estimate import estimate
from service.pricing.money import format_decimal


def compare_models(
    snapshot: CatalogSnapshot, request: schemas.CompareRequest
) -> tuple[schemas.CompareResult, list[int]]:
    at = parse_instant(request.at)
    usage = usage_of(request)
    factor = retry_factor_of(request.retry_factor)
    baseline_price = price_at(snapshot, request.baseline, at)
    if request.models is None:
        # Every model that has a price at that instant: a model not yet launched simply is not compared.
        names = [m for m, timeline in snapshot.timelines.items() if timeline.price_at(at) is not None]
    else:
        names = list(dict.fromkeys([request.baseline, *request.models]))
    prices = {name: baseline_price if name == request.baseline else price_at(snapshot, name, at) for name in names}
    estimates = {name: estimate(found.effective, usage, request.sessions, factor) for name, found in prices.items()}
    rows = [
        schemas.CompareRow(
            model=row.model, cost=cost_of(row.estimate), input_ratio=_ratio(row.input_ratio),
            output_ratio=_ratio(row.output_ratio), total_ratio=_ratio(row.total_ratio),
            warnings=list(row.estimate.warnings),
        )
        for row in compare(request.baseline, estimates)
    ]
    ids = sorted({found.period.id for found in prices.values()})
    return schemas.CompareResult(baseline=request.baseline, at=at, rows=rows), ids


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)
