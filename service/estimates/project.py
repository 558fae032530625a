"""POST /v1/estimate/project: a project priced on a set of models and strategies, from the in-process snapshot.

The assumptions in force at `at` and the prices both come from the snapshot: a project estimate makes no query.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TypeVar, cast

import msgspec
from msgspec import Raw

from service.api.instants import parse_instant
from service.api.problems import ProblemError, invalid
from service.catalog.assumption_schemas import AssumptionUsed
from service.estimates import project_schemas as wire
from service.estimates.compute import Priced, price_at
from service.estimates.limits import DEFAULT_LIMITS, WorkLimits, check_models
from service.estimates.project_answers import Formatter
from service.estimates.project_assumptions import AssumptionSet, Used, assumptions_in_force
from service.estimates.project_order import Member, Run, first_plan, named_plan, plans_in_order, runs_in_order
from service.pricing.errors import InputError, InvalidAmount
from service.pricing.money import parse_decimal
from service.pricing.project import (
    Attempts,
    Bounds,
    ModelCost,
    ProjectShape,
    Tooling,
    attempts_of,
    price_key,
    session_shape,
    sessions_by_complexity,
    shaped_session_costs,
    turn_prompts,
)
from service.pricing.project_plans import (
    Baseline,
    Plan,
    Ranked,
    RetryKeys,
    check_shares,
    node_cost_per_mtok,
    project_tokens,
    review_cost,
    self_host_cost,
)
from service.pricing.timeline import EffectivePrice
from service.snapshot.catalog_snapshot import CatalogSnapshot

T = TypeVar("T")


def project_estimate(snapshot: CatalogSnapshot, request: wire.ProjectEstimateRequest,
                     limits: WorkLimits = DEFAULT_LIMITS) -> Priced[wire.ProjectEstimateResult]:
    at = parse_instant(request.at)
    return estimate_project(snapshot, assumptions_in_force(snapshot.assumptions, at), request, at, limits)


class _Project:
    """One request's project: its shape, its sessions, and every assumption it has used so far."""

    def __init__(self, snapshot: CatalogSnapshot, assumptions: AssumptionSet, request: wire.ProjectEstimateRequest,
                 at: datetime) -> None:
        self.snapshot, self.assumptions, self.at = snapshot, assumptions, at
        self.used: dict[int, AssumptionUsed] = {}
        project = request.project
        tooling = self._take(assumptions.tooling, project.tooling, "project.tooling", "tooling profile")
        size = self._take(assumptions.sizes, project.size, "project.size", "project size")
        mix = size.mix.as_dict() if project.mix is None else project.mix.as_dict()
        problem = None if project.mix is None else check_shares(mix)
        if problem:
            raise InvalidAmount(problem, "project", "mix")
        self.tooling: Tooling = tooling
        self.shape = ProjectShape(project.features, mix, size.context_multiplier)
        self.prompts = turn_prompts(tooling, size.context_multiplier)
        self.counts = sessions_by_complexity(self.shape, tooling)
        self.costs: dict[str, ModelCost] = {}
        self.retry_keys = RetryKeys(assumptions.retries)
        self.session = session_shape(self.prompts, tooling.output_tokens_per_turn, tooling.cache_read_share)
        self.attempts: dict[str, Attempts] = {}  # by retry key: the same for every model of one key
        self.prices: dict[str, EffectivePrice] = {}

    def _take(self, found: Mapping[str, Used[T]], key: str, field: str, what: str) -> T:
        used = found.get(key)
        if used is None:
            known = ", ".join(sorted(found)) or "none"
            raise invalid(field, f"unknown {what} '{key}' at {self.at.isoformat()}: known are {known}")
        self.used[used.trace.id] = used.trace
        return used.value

    def cost_on(self, model: str, found: EffectivePrice) -> ModelCost:
        cost = self.costs.get(model)
        if cost is None:
            key = self.retry_keys.key_for(model)
            attempts = self.attempts.get(key)
            if attempts is None:
                retries = self._take(self.assumptions.retries, key, "models", "retry factor")
                attempts = self.attempts[key] = attempts_of(self.counts, retries)
            cost = self.costs[model] = ModelCost(attempts, shaped_session_costs(found, self.session, self.at))
            self.prices[model] = found
        return cost

    def cost_all(self, models: list[Member]) -> list[tuple[ModelCost, list[Member]]]:
        """cost_on() for every model of the set (each named once, none priced yet), with the lookups it repeats per
        model hoisted out of a loop that may run over every offering; the offerings grouped by their cost.

        Resellers often charge the maker's price: a session is priced once per distinct price (price_key), and a
        model's cost made once per distinct price and retry factors, then shared by every offering that has them.
        """
        key_for = self.retry_keys.key_for
        # By price, then by retry key: one hash of a price per offering (a price's key is a tuple of Decimals, or of
        # rules, hashed anew each time), the retry key's text hashing once.
        by_price: dict[object, dict[str, list[Member]]] = {}
        for item in models:
            by_price.setdefault(price_key(item[1]), {}).setdefault(key_for(item[0]), []).append(item)
        costs, prices = self.costs, self.prices
        groups = []
        for by_retry in by_price.values():
            per_session = None
            for retry_key, members in by_retry.items():
                if per_session is None:
                    per_session = shaped_session_costs(members[0][1], self.session, self.at)
                cost = ModelCost(self._attempts_for(retry_key), per_session)
                for model, found in members:
                    costs[model] = cost
                    prices[model] = found
                groups.append((cost, members))
        return groups

    def _attempts_for(self, retry_key: str) -> Attempts:
        attempts = self.attempts.get(retry_key)
        if attempts is None:
            retries = self._take(self.assumptions.retries, retry_key, "models", "retry factor")
            attempts = self.attempts[retry_key] = attempts_of(self.counts, retries)
        return attempts

    def priced(self, ref: str) -> tuple[str, ModelCost]:
        model = self.snapshot.resolve(ref, self.at)
        return model, self.cost_on(model, self.prices.get(model) or price_at(self.snapshot, model, self.at))


def _model_set(snapshot: CatalogSnapshot, request: wire.ProjectEstimateRequest,
               at: datetime) -> tuple[list[tuple[str, EffectivePrice]], list[str]]:
    chosen = sum((request.models is not None, request.provider is not None, request.all_models))
    if chosen != 1:
        raise invalid("models", "name the models by exactly one of `models`, `provider` or `all_models`")
    if request.models is not None:
        if not request.models:
            raise invalid("models", "the set of models is empty: name at least one")
        names = list(dict.fromkeys(snapshot.resolve(ref, at) for ref in request.models))
        return [(name, price_at(snapshot, name, at)) for name in names], []
    priced, unpriced = [], []
    for name, info in snapshot.models.items():
        if request.provider is not None and info.provider != request.provider:
            continue
        found = snapshot.timelines[name].price_at(at)
        if found is None:
            unpriced.append(name)
        else:
            priced.append((name, found))
    if not priced:
        field = "provider" if request.provider is not None else "all_models"
        raise invalid(field, f"no offering of this set has a price at {at.isoformat()}")
    return priced, unpriced


def project_models(snapshot: CatalogSnapshot, request: wire.ProjectEstimateRequest, at: datetime) -> set[str] | None:
    """The stored ids whose prices a project estimate reads, resolved as estimate_project resolves them (the set of
    `models`, or of `provider`, and every strategy's models); None: the whole catalog's (`all_models`). A name that
    does not resolve is left out: its estimate fails with its own problem when it is priced."""
    if request.all_models:
        return None
    names = list(request.models or [])
    for strategy in request.strategies:
        if isinstance(strategy, wire.HybridStrategy):
            names += [strategy.draft, strategy.review]
        elif (profile := assumptions_in_force(snapshot.assumptions, at).self_host.get(strategy.profile)) is not None:
            names.append(profile.value.model)
    found = {name for name, info in snapshot.models.items() if info.provider == request.provider} \
        if request.provider is not None else set()
    for name in names:
        try:
            found.add(snapshot.resolve(name, at))
        except (InputError, ProblemError):
            continue
    return found


def estimate_project(snapshot: CatalogSnapshot, assumptions: AssumptionSet, request: wire.ProjectEstimateRequest,
                     at: datetime, limits: WorkLimits = DEFAULT_LIMITS) -> Priced[wire.ProjectEstimateResult]:
    project = _Project(snapshot, assumptions, request, at)
    out = Formatter()
    models, unpriced = _model_set(snapshot, request, at)
    # Checked on the set priced, so that `all_models` and `provider` count what they name.
    field = "models" if request.models is not None else "provider" if request.provider is not None else "all_models"
    check_models(len(models), limits, field)
    runs = runs_in_order(project.cost_all(models))
    strategies: list[Plan] = []
    break_even: list[wire.BreakEvenOut] = []
    for index, strategy in enumerate(request.strategies):
        if isinstance(strategy, wire.HybridStrategy):
            strategies.append(_hybrid(project, strategy, index))
            continue
        profile = project._take(assumptions.self_host, strategy.profile, f"strategies[{index}].profile",
                                "self-host profile")
        utilization = profile.node.utilization if strategy.utilization is None else _share(
            strategy.utilization, f"strategies.{index}.utilization")
        _, hosted = project.priced(profile.model)
        per_mtok = node_cost_per_mtok(profile.node, utilization)
        strategies.append(Plan(f"self-host:{strategy.profile}", "self-host",
                               self_host_cost(project_tokens(hosted), per_mtok)))
        break_even.append(out.break_even(strategy.profile, profile.node, utilization,
                                         [(name, project.costs[name]) for name, _ in models]))
    plans = plans_in_order(runs, strategies)
    base = _baseline(snapshot, request, plans, models, project.costs, strategies, at)
    against = Baseline(None if base is None else base[1])
    body = wire.ProjectEstimateResult(
        at=at, currency="USD",
        project=wire.ProjectOut(size=request.project.size, tooling=request.project.tooling,
                                features=project.shape.features,
                                mix={name: out.text(share) for name, share in project.shape.mix.items()},
                                context_multiplier=out.text(project.shape.context_multiplier),
                                turn_prompt_tokens=list(project.prompts)),
        models=_models_out(runs, out, request.breakdown), plans=_plans_out(plans, out, against),
        baseline=None if base is None else base[0], break_even=break_even, unpriced=unpriced,
        assumptions=[trace for _, trace in sorted(project.used.items())],
    )
    return Priced(body, sorted({found.period.id for found in project.prices.values()}))


# Over every offering, the answer's models and model plans are its largest part: each list is one msgspec.Raw (JSON
# that encoding puts in as is), spliced from each offering's id, its price id and the JSON that every offering of its
# cost shares (Formatter.model_tail and plan_tail), byte for byte what encoding the wire structs gives
# (tests/estimates/test_project_digest.py). It stands where the list of structs would.
_encode = msgspec.json.Encoder().encode


def _models_out(runs: list[Run], out: Formatter, breakdown: bool) -> list[wire.ModelProjectOut]:
    parts: list[bytes] = []
    append = parts.append
    for run in runs:
        tail = out.model_tail(run.cost, breakdown)
        for name, found in run.members:
            append(b',{"model":%b,"price_id":%d' % (_encode(name), found.period.id))
            append(tail)
    return cast("list[wire.ModelProjectOut]", _array(parts))


def _plans_out(plans: list[Run | Plan], out: Formatter, against: Baseline) -> list[wire.PlanOut]:
    parts: list[bytes] = []
    append = parts.append
    for item in plans:
        if isinstance(item, Run):
            bounds = item.cost.cost
            tail = out.plan_tail(bounds, against.ratios(bounds))
            for name, _ in item.members:
                append(b',{"plan":%b' % _encode(name))
                append(tail)
        else:
            append(b"," + _encode(out.plan(tuple.__new__(Ranked, (item, *against.ratios(item.cost))))))
    return cast("list[wire.PlanOut]", _array(parts))


def _array(parts: list[bytes]) -> Raw:
    """The JSON array of entries that each start with a comma, joined in one copy."""
    if not parts:
        return Raw(b"[]")
    parts[0] = b"[" + parts[0][1:]
    parts.append(b"]")
    return Raw(b"".join(parts))


def _hybrid(project: _Project, strategy: wire.HybridStrategy, index: int) -> Plan:
    draft, drafted = project.priced(strategy.draft)
    review, reviewed = project.priced(strategy.review)
    shares = strategy.review_share.as_dict()
    for name, share in shares.items():
        if share > 1:
            raise InvalidAmount(f"a review share is at most 1, got {share}", "strategies", index, "review_share", name)
    return Plan(f"hybrid:{draft}+{review}", "hybrid", review_cost(drafted, reviewed, shares))


def _baseline(snapshot: CatalogSnapshot, request: wire.ProjectEstimateRequest, plans: list[Run | Plan],
              models: list[Member], costs: dict[str, ModelCost], strategies: list[Plan],
              at: datetime) -> tuple[str, Bounds] | None:
    """The plan the ratios are against, by name and cost: a plan's name, or a model of the set by any of its names;
    by default the cheapest plan."""
    if request.baseline is None:
        return first_plan(plans)
    found = named_plan(request.baseline, models, costs, strategies)
    name = request.baseline
    if found is None:
        name = snapshot.resolve(request.baseline, at)
        found = named_plan(name, models, costs, strategies)
    if found is None:
        raise invalid("baseline", f"the baseline '{request.baseline}' is none of the plans: name a model of the set "
                                  "or a plan's name")
    return name, found


def _share(value: Decimal, field: str) -> Decimal:
    share = parse_decimal(value, field=field)
    if not 0 < share <= 1:
        raise InvalidAmount(f"utilization is above 0 and at most 1, got {share}", *field.split("."))
    return share

