"""One usage priced on several models, with ratios against a baseline model, cheapest first."""

from __future__ import annotations

from decimal import Decimal

from service.api.problems import invalid
from service.catalog import render
from service.estimates import schemas
from service.estimates.compute import (
    Priced,
    applied_of,
    charge,
    corrections_in,
    cost_of,
    instants_of,
    kind_of,
    price_at,
    refuse_known_at,
    retry_factor_of,
    usage_of,
    window_warning,
)
from service.pricing.compare import compare
from service.pricing.estimate import estimate
from service.pricing.money import format_decimal
from service.pricing.timeline import EffectivePrice
from service.snapshot.catalog_snapshot import CatalogSnapshot


def compare_models(
    snapshot: CatalogSnapshot, request: schemas.CompareRequest
) -> Priced[schemas.CompareResult]:
    refuse_known_at(request.known_at)
    at, requested_at = instants_of(request)
    usage = usage_of(request)
    factor = retry_factor_of(request.retry_factor)
    kind = kind_of(request)
    baseline = snapshot.resolve(request.baseline, at)
    baseline_price = price_at(snapshot, baseline, at)
    if request.models is not None and request.offerings_of is not None:
        raise invalid("offerings_of", "send `models` or `offerings_of`, not both")
    if request.offerings_of is not None:
        # Every offering of that model priced at `at`: its id names its model (docs/offerings.md).
        offerings = snapshot.offerings[snapshot.model_named(request.offerings_of, at)]
        names = [baseline, *(m for m in offerings if _offers(snapshot.timelines[m].price_at(at), kind))]
    elif request.models is None:
        # Every model priced at that instant (and offering the variant asked for): a model not yet launched,
        # or one without a batch rate when batch is asked for, simply is not compared.
        names = [baseline, *(m for m, timeline in snapshot.timelines.items()
                             if _offers(timeline.price_at(at), kind))]
    else:
        names = [baseline, *(snapshot.resolve(m, at) for m in request.models)]
    prices = {name: baseline_price if name == baseline else price_at(snapshot, name, at)
              for name in dict.fromkeys(names)}
    charged = {name: charge(found, name, usage, kind, requested_at) for name, found in prices.items()}
    estimates = {name: estimate(rates.rates, usage, request.sessions, factor) for name, rates in charged.items()}
    rows = [
        schemas.CompareRow(
            model=row.model, rates=render.token_prices(charged[row.model].rates),
            applied_rules=applied_of(charged[row.model]), cost=cost_of(row.estimate),
            input_ratio=_ratio(row.input_ratio), output_ratio=_ratio(row.output_ratio),
            total_ratio=_ratio(row.total_ratio),
            warnings=[*row.estimate.warnings, *window_warning(prices[row.model], request, requested_at)],
        )
        for row in compare(baseline, estimates)
    ]
    ids = sorted({found.period.id for found in prices.values()})
    result = schemas.CompareResult(baseline=baseline, at=at, rows=rows)
    corrections = corrections_in(snapshot, ((name, at, None) for name in prices), instant=True)
    if corrections:  # priced on corrected data; without any, the answer keeps its bytes
        result.corrections = corrections
    return Priced(result, ids)


def _offers(found: EffectivePrice | None, kind: str | None) -> bool:
    if found is None:
        return False
    return kind is None or any(variant.kind == kind for variant in found.period.rules.variants)


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)
