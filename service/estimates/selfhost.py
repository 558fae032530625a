"""Self-hosting: cost per 1M tokens on rented GPUs, the monthly bill, and the break-even against an API model."""

from __future__ import annotations

from decimal import Decimal, localcontext

from service.api.instants import parse_instant
from service.estimates import schemas
from service.estimates.compute import Priced, amount_of, price_at
from service.pricing.money import MONEY_CONTEXT, format_decimal
from service.pricing.selfhost import blended_price_per_mtok, break_even_tokens, self_host_cost
from service.pricing.usage import Usage
from service.snapshot.catalog_snapshot import CatalogSnapshot

_MTOK = 1_000_000


def self_host_estimate(
    snapshot: CatalogSnapshot, request: schemas.SelfHostRequest
) -> Priced[schemas.SelfHostResult]:
    hourly = amount_of(request.gpu_hourly_usd, "gpu_hourly_usd")
    speed = amount_of(request.tokens_per_second, "tokens_per_second")
    utilization = amount_of(request.utilization, "utilization")
    cost = self_host_cost(hourly, request.gpus, speed, utilization)
    comparison = None
    if request.compare_with is not None:
        comparison = _compare(snapshot, request, cost.monthly_cost)
    return Priced(schemas.SelfHostResult(
        cost_per_mtok=format_decimal(cost.cost_per_mtok), monthly_cost=format_decimal(cost.monthly_cost),
        monthly_capacity_tokens=format_decimal(cost.monthly_capacity_tokens), compare_with=comparison,
    ), [comparison.price_id] if comparison else [])


def _compare(
    snapshot: CatalogSnapshot, request: schemas.SelfHostRequest, monthly_cost: Decimal
) -> schemas.SelfHostComparison:
    model = snapshot.resolve(request.compare_with or "")
    price = price_at(snapshot, model, parse_instant(request.at))
    blended = blended_price_per_mtok(price.effective, Usage(request.input_tokens, request.output_tokens))
    break_even = break_even_tokens(monthly_cost, blended)
    api_monthly = None
    if request.monthly_tokens is not None:
        with localcontext(MONEY_CONTEXT):
            api_monthly = format_decimal(blended * request.monthly_tokens / _MTOK)
    return schemas.SelfHostComparison(
        model=model, api_per_mtok=format_decimal(blended),
        break_even_tokens=None if break_even is None else format_decimal(break_even),
        api_monthly_cost=api_monthly, price_id=price.period.id,
    )
