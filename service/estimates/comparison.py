"""One usage priced on several models, with ratios against a baseline model, cheapest first."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

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
from service.pricing.usage import Usage
from service.snapshot.catalog_snapshot import CatalogSnapshot


class ComparePlan(NamedTuple):
    """A comparison's request, checked, and the models it prices, resolved once by today's names."""

    at: datetime
    requested_at: datetime
    usage: Usage
    factor: Decimal
    kind: str | None
    baseline: str  # a stored id
    named: tuple[str, ...]  # the stored ids of `models`, or the offerings of `offerings_of`
    every_model: bool  # neither was sent: every model of the catalog priced at `at` is compared
    priced_only: bool  # a set (offerings, the catalog): its models without a price or the variant are left out

    def model_ids(self) -> set[str] | None:
        """The models whose history the comparison prices; None: the whole catalog's."""
        return None if self.every_model else {self.baseline, *self.named}


def compare_plan(snapshot: CatalogSnapshot, request: schemas.CompareRequest) -> ComparePlan:
    """Checks the request and resolves its models: the one resolution of a comparison's set, whether it is then
    priced on the snapshot, on the catalog as known at a record time, or on today's history (a repriced quote)."""
    refuse_known_at(request.known_at)
    at, requested_at = instants_of(request)
    usage = usage_of(request)
    factor = retry_factor_of(request.retry_factor)
    kind = kind_of(request)
    baseline = snapshot.resolve(request.baseline, at)
    if request.models is not None and request.offerings_of is not None:
        raise invalid("offerings_of", "send `models` or `offerings_of`, not both")
    if request.offerings_of is not None:
        # Every offering of that model priced at `at`: its id names its model (docs/offerings.md).
        offerings = snapshot.offerings[snapshot.model_named(request.offerings_of, at)]
        return ComparePlan(at, requested_at, usage, factor, kind, baseline, offerings, False, True)
    if request.models is None:
        return ComparePlan(at, requested_at, usage, factor, kind, baseline, (), True, True)
    named = tuple(snapshot.resolve(m, at) for m in request.models)
    return ComparePlan(at, requested_at, usage, factor, kind, baseline, named, False, False)


def compare_models(
    snapshot: CatalogSnapshot, request: schemas.CompareRequest, plan: ComparePlan | None = None
) -> Priced[schemas.CompareResult]:
    """The comparison, of the models `plan` resolved (by default, resolved here from the request)."""
    at, requested_at, usage, factor, kind, baseline, named, every_model, priced_only = (
        plan or compare_plan(snapshot, request))
    baseline_price = price_at(snapshot, baseline, at)
    # Every model of the catalog (or offering) priced at that instant and offering the variant asked for: a model
    # not yet launched, or one without a batch rate when batch is asked for, simply is not compared.
    candidates = snapshot.timelines if every_model else named
    names = [baseline, *(m for m in candidates
                         if not priced_only or _offers(snapshot.timelines[m].price_at(at), kind))]
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
