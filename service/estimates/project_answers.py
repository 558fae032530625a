"""The wire form of a project estimate's parts: costs as bounds, models with their breakdown, plans, break-even.

A project over every offering formats tens of thousands of amounts. Sessions and tokens are the same for every model
of one retry factor: one Formatter per answer keeps those parts by retry factor (by the identity of its ranges,
which live as long as the request; hashing Decimals cost more than formatting them), and formats a bound whose
three values are equal once.
"""

from __future__ import annotations

from decimal import Decimal

from service.estimates import project_schemas as wire
from service.pricing.money import format_decimal
from service.pricing.project import Bounds, ModelCost, Range, blended_per_mtok
from service.pricing.project_plans import NodeProfile, Ranked, break_even, node_cost_per_mtok, node_monthly_usd
from service.pricing.timeline import EffectivePrice


class Formatter:
    def __init__(self) -> None:
        # A model's plan has the very bounds of its cost: formatted once, by identity (the bounds are kept here, so
        # that an id is never reused during the answer).
        self._bounds: dict[int, tuple[Bounds, wire.BoundsOut]] = {}
        self._by_retries: dict[tuple[int, ...], tuple[wire.BoundsOut, wire.TokensOut, list[tuple[str, str,
                                                                                             wire.RangeOut]]]] = {}
        # Cache reads per session: the same on every flat price, so formatted once per distinct three.
        self._counts: dict[tuple[int, int, int], wire.BoundsOut] = {}

    def text(self, value: Decimal) -> str:
        return format_decimal(value)

    def kept_bounds(self, bounds: Bounds) -> wire.BoundsOut:
        """bounds(), remembered for another part of the same answer that shows the same Bounds object."""
        found = self._bounds.get(id(bounds))
        if found is None:
            found = self._bounds[id(bounds)] = (bounds, self.bounds(bounds))
        return found[1]

    def bounds(self, bounds: Bounds) -> wire.BoundsOut:
        low, expected, high = bounds
        if low == high:  # no range: the three are one value
            text = format_decimal(low)
            return wire.BoundsOut(low=text, expected=text, high=text)
        return wire.BoundsOut(low=format_decimal(low), expected=format_decimal(expected), high=format_decimal(high))

    def counts(self, values: tuple[int, int, int]) -> wire.BoundsOut:
        found = self._counts.get(values)
        if found is None:
            found = self._counts[values] = wire.BoundsOut(low=str(values[0]), expected=str(values[1]),
                                                          high=str(values[2]))
        return found

    def range(self, span: Range) -> wire.RangeOut:
        return wire.RangeOut(low=self.text(span.low), high=self.text(span.high))

    def _attempts(self, cost: ModelCost) -> tuple[wire.BoundsOut, wire.TokensOut, list[tuple[str, str,
                                                                                           wire.RangeOut]]]:
        # Sessions and tokens depend on the retry factors alone: every session has the same tokens on every model.
        key = (id(cost.attempts),)
        found = self._by_retries.get(key)
        if found is None:
            session = cost.per_session
            found = self._by_retries[key] = (self.bounds(cost.sessions), wire.TokensOut(
                input=self.bounds(cost.sessions.times(Decimal(session.input_tokens))),
                output=self.bounds(cost.sessions.times(Decimal(session.output_tokens)))),
                [(format_decimal(part.features), format_decimal(part.sessions), self.range(part.retry))
                 for part in cost.attempts.parts])
        return found

    def model(self, model: str, found: EffectivePrice, cost: ModelCost, breakdown: bool) -> wire.ModelProjectOut:
        session = cost.per_session
        sessions, tokens, counts = self._attempts(cost)
        return wire.ModelProjectOut(
            model=model, price_id=found.period.id, cost=self.kept_bounds(cost.cost), sessions=sessions, tokens=tokens,
            per_session=wire.SessionOut(cost=self.bounds(session.cost), input_tokens=session.input_tokens,
                                        cached_input_tokens=self.counts(session.cached_input_tokens),
                                        output_tokens=session.output_tokens, context_tier=session.context_tier),
            by_complexity=[wire.ComplexityOut(
                complexity=part.complexity, features=features, sessions=sessions_text,  # type: ignore[arg-type]
                retry_factor=retry, cost=self.bounds(part.cost),
            ) for part, (features, sessions_text, retry) in zip(cost.by_complexity, counts, strict=True)]
            if breakdown else [],
            warnings=list(session.warnings),
        )

    def plan(self, ranked: Ranked) -> wire.PlanOut:
        plan = ranked.plan
        times = self._ratio(ranked.times_baseline)
        # rank() gives one Decimal for both ratios when they are equal (every plan's, when costs are exact).
        at_least = times if ranked.at_least_times_baseline is ranked.times_baseline else self._ratio(
            ranked.at_least_times_baseline)
        return wire.PlanOut(plan=plan.name, kind=plan.kind, cost=self.kept_bounds(plan.cost),  # type: ignore[arg-type]
                            times_baseline=times, at_least_times_baseline=at_least)

    def _ratio(self, value: Decimal | None) -> str | None:
        return None if value is None else self.text(value)

    def break_even(self, profile: str, node: NodeProfile, utilization: Decimal,
                   models: list[tuple[str, ModelCost]]) -> wire.BreakEvenOut:
        rows = []
        capacity = break_even(node, utilization, None).capacity
        for model, cost in models:
            api = blended_per_mtok(cost.per_session)
            found = break_even(node, utilization, api)
            rows.append(wire.BreakEvenModelOut(
                model=model, api_per_mtok=None if api is None else self.text(api),
                monthly_tokens=None if found.monthly_tokens is None else self.text(found.monthly_tokens)))
        return wire.BreakEvenOut(
            profile=profile, utilization=self.text(utilization), node_monthly_usd=self.text(node_monthly_usd(node)),
            cost_per_mtok_range=self.range(node_cost_per_mtok(node, utilization)),
            capacity_monthly_tokens=self.range(capacity), models=rows)
