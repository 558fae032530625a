"""The wire form of a project estimate's parts: costs as bounds, models with their breakdown, plans, break-even."""

from __future__ import annotations

from decimal import Decimal

from service.estimates import project_schemas as wire
from service.pricing.money import format_decimal
from service.pricing.project import Bounds, ModelCost, Range, blended_per_mtok
from service.pricing.project_plans import NodeProfile, Ranked, break_even, node_cost_per_mtok, node_monthly_usd
from service.pricing.timeline import EffectivePrice


def bounds_out(bounds: Bounds) -> wire.BoundsOut:
    return wire.BoundsOut(low=format_decimal(bounds.low), expected=format_decimal(bounds.expected),
                          high=format_decimal(bounds.high))


def range_out(span: Range) -> wire.RangeOut:
    return wire.RangeOut(low=format_decimal(span.low), high=format_decimal(span.high))


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def model_out(model: str, found: EffectivePrice, cost: ModelCost) -> wire.ModelProjectOut:
    session = cost.per_session
    return wire.ModelProjectOut(
        model=model, price_id=found.period.id, cost=bounds_out(cost.cost), sessions=bounds_out(cost.sessions),
        tokens=wire.TokensOut(input=bounds_out(cost.sessions.times(Decimal(session.input_tokens))),
                              output=bounds_out(cost.sessions.times(Decimal(session.output_tokens)))),
        per_session=wire.SessionOut(cost=bounds_out(session.cost), input_tokens=session.input_tokens,
                                    cached_input_tokens=bounds_out(session.cached_input_tokens),
                                    output_tokens=session.output_tokens, context_tier=session.context_tier),
        by_complexity=[wire.ComplexityOut(
            complexity=part.complexity, features=format_decimal(part.features),  # type: ignore[arg-type]
            sessions=format_decimal(part.sessions), retry_factor=range_out(part.retry), cost=bounds_out(part.cost),
        ) for part in cost.by_complexity],
        warnings=list(session.warnings),
    )


def plan_out(ranked: Ranked) -> wire.PlanOut:
    plan = ranked.plan
    return wire.PlanOut(plan=plan.name, kind=plan.kind, cost=bounds_out(plan.cost),  # type: ignore[arg-type]
                        times_baseline=_ratio(ranked.times_baseline),
                        at_least_times_baseline=_ratio(ranked.at_least_times_baseline))


def break_even_out(profile: str, node: NodeProfile, utilization: Decimal,
                   models: list[tuple[str, ModelCost]]) -> wire.BreakEvenOut:
    rows = []
    capacity = None
    for model, cost in models:
        api = blended_per_mtok(cost.per_session)
        found = break_even(node, utilization, api)
        capacity = found.capacity
        rows.append(wire.BreakEvenModelOut(
            model=model, api_per_mtok=None if api is None else format_decimal(api),
            monthly_tokens=None if found.monthly_tokens is None else format_decimal(found.monthly_tokens)))
    if capacity is None:
        capacity = break_even(node, utilization, None).capacity
    return wire.BreakEvenOut(
        profile=profile, utilization=format_decimal(utilization),
        node_monthly_usd=format_decimal(node_monthly_usd(node)),
        cost_per_mtok=range_out(node_cost_per_mtok(node, utilization)), capacity_monthly_tokens=range_out(capacity),
        models=rows)
