"""Every offering of one model priced on one usage, cheapest first: who sells it, and at what cost."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from service.api.problems import ProblemError
from service.estimates import schemas
from service.estimates.compute import estimate_one
from service.snapshot.catalog_snapshot import CatalogSnapshot


def offerings_priced(
    snapshot: CatalogSnapshot, model_id: str, usage: schemas.EstimateRequest, at: datetime
) -> schemas.OfferingsResult:
    """`usage` is priced on each offering of `model_id`'s model (its `model` field is replaced); an offering
    without a price at `at` is listed last, with its problem instead of an estimate."""
    model = snapshot.model_named(model_id, at)
    offerings = snapshot.offerings[model]
    rows = [_row(snapshot, offering, usage) for offering in offerings]
    rows.sort(key=_cheapest_first)
    return schemas.OfferingsResult(model=model, at=at, offerings=rows)


def _row(snapshot: CatalogSnapshot, offering: str, usage: schemas.EstimateRequest) -> schemas.OfferingRow:
    provider = snapshot.models[offering].provider
    try:
        priced = estimate_one(snapshot, _for(usage, offering)).body
    except ProblemError as exc:  # no price at `at`, or not the variant asked for: listed, not hidden
        return schemas.OfferingRow(offering=offering, provider=provider, maker="/" not in offering,
                                   estimate=None, problem=exc.problem.detail)
    return schemas.OfferingRow(offering=offering, provider=provider, maker="/" not in offering, estimate=priced)


def _for(usage: schemas.EstimateRequest, offering: str) -> schemas.EstimateRequest:
    return msgspec.structs.replace(usage, model=offering)


def _cheapest_first(row: schemas.OfferingRow) -> tuple[bool, Decimal, str]:
    if row.estimate is None:
        return True, Decimal(0), row.offering
    return False, Decimal(row.estimate.cost.total), row.offering
