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
from service.estimates.project_offerings import Groups, Member, offerings_of
from service.estimates.project_order import Run, first_plan, named_plan, plans_in_order, runs_in_order
from service.pricing.errors import InputError, InvalidAmount
from service.pricing.money import parse_decimal
from service.pricing.project import (
    Attempts,
    Bounds,
    ModelCost,
    ProjectShape,
    Range,
    Tooling,
    attempts_of,
    price_sessions,
    session_shape,
    sessions_by_complexity,
    shaped_session_costs,
    turn_prompts,
)
from service.pricing.project_plans import (
    Baseline,
    Plan,
    Ranked,
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
        self.groups: Groups = offerings_of(snapshot).groups(assumptions.retries)
        self.group_costs: dict[int, ModelCost] = {}  # by Member.group: every offering of a group shares its cost
        self.session = session_shape(self.prompts, tooling.output_tokens_per_turn, tooling.cache_read_share)
        self.attempts: dict[str, Attempts] = {}  # by retry key: the same for every model of one key
        self.prices: dict[str, EffectivePrice] = {}  # the strategies' models

    def _take(self, found: Mapping[str, Used[T]], key: str, field: str, what: str) -> T:
        used = found.get(key)
        if used is None:
            known = ", ".join(sorted(found)) or "none"
            raise invalid(field, f"unknown {what} '{key}' at {self.at.isoformat()}: known are {known}")
        self.used[used.trace.id] = used.trace
        return used.value

    def cost_on(self, member: Member) -> ModelCost:
        cost = self.group_costs.get(member.group)
        if cost is None:
            retry_key = self.groups.info[member.group][1]
            cost = self.group_costs[member.group] = ModelCost(
                self._attempts_for(retry_key), shaped_session_costs(member.found, self.session, self.at))
        return cost

    def cost_all(self, models: list[Member]) -> list[tuple[ModelCost, list[Member]]]:
        """cost_on() for every model of the set (each named once, none priced yet), with the lookups it repeats per
        model hoisted out of a loop that may run over every offering; the offerings grouped by their cost.

        Resellers often charge the maker's price: a session is priced once per distinct price (its class, see
        project_offerings), and a model's cost made once per distinct price and retry factors (its group), then
        shared by every offering that has them.
        """
        by_group: dict[int, list[Member]] = {}
        for member in models:
            found = by_group.get(member[2])
            if found is None:
                by_group[member[2]] = [member]
            else:
                found.append(member)
        info, costs, attempts = self.groups.info, self.group_costs, self.attempts
        # A session is priced once per price class, all of them in one call (price_sessions).
        classes: dict[int, int] = {}  # price class -> its place in `prices`
        prices: list[EffectivePrice] = []
        keyed = []
        for group, members in by_group.items():
            price_class, retry_key = info[group]
            place = classes.get(price_class)
            if place is None:
                place = classes[price_class] = len(prices)
                prices.append(members[0][1])
            keyed.append((group, members, place, retry_key))
        sessions = price_sessions(prices, self.session, self.at)
        groups = []
        for group, members, place, retry_key in keyed:
            cost = costs[group] = ModelCost(attempts.get(retry_key) or self._attempts_for(retry_key), sessions[place])
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
        found = self.prices[model] = price_at(self.snapshot, model, self.at)
        return model, self.cost_on(self.groups.member(model, found))


def _model_set(snapshot: CatalogSnapshot, groups: Groups, request: wire.ProjectEstimateRequest,
               at: datetime) -> tuple[list[Member], list[str]]:
    chosen = sum((request.models is not None, request.provider is not None, request.all_models))
    if chosen != 1:
        raise invalid("models", "name the models by exactly one of `models`, `provider` or `all_models`")
    if request.models is not None:
        if not request.models:
            raise invalid("models", "the set of models is empty: name at least one")
        names = list(dict.fromkeys(snapshot.resolve(ref, at) for ref in request.models))
        return [groups.member(name, price_at(snapshot, name, at)) for name in names], []
    priced, unpriced = [], []
    provider, known, member = request.provider, groups.of, groups.member
    if at.tzinfo is None or at.utcoffset() is None:  # as ModelTimeline.price_at says
        raise ValueError(f"at must be timezone-aware, got {at.isoformat()}")
    for name, owner, timeline, start, single in offerings_of(snapshot).listed():
        if provider is not None and owner != provider:
            continue
        # Most timelines have one stretch: its price from its start on, without a search.
        found = timeline.price_at(at) if start is None else single if at >= start else None
        if found is None:
            unpriced.append(name)
            continue
        entry = known.get(name)
        priced.append(entry if entry is not None and entry[1] is found else member(name, found))
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
    models, unpriced = _model_set(snapshot, project.groups, request, at)
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
                                         [(member[0], project.group_costs[member[2]]) for member in models]))
    plans = plans_in_order(runs, strategies)
    base = _baseline(snapshot, request, plans, models, project.group_costs, strategies, at)
    against = Baseline(None if base is None else base[1])
    body = wire.ProjectEstimateResult(
        at=at, currency="USD",
        project=wire.ProjectOut(size=request.project.size, tooling=request.project.tooling,
                                features=project.shape.features,
                                mix={name: out.text(share) for name, share in project.shape.mix.items()},
                                context_multiplier=out.text(project.shape.context_multiplier),
                                turn_prompt_tokens=list(project.prompts)),
        models=_models_out(runs, out, request.breakdown, project.session.share), plans=_plans_out(plans, out, against),
        baseline=None if base is None else base[0], break_even=break_even, unpriced=unpriced,
        assumptions=[trace for _, trace in sorted(project.used.items())],
    )
    price_ids = {member[5] for member in models}
    price_ids.update(found.period.id for found in project.prices.values())
    return Priced(body, sorted(price_ids))


# Over every offering, the answer's models and model plans are its largest part: each list is one msgspec.Raw (JSON
# that encoding puts in as is), spliced from each offering's id, its price id and the JSON that every offering of its
# cost shares (Formatter.model_tail and plan_tails), byte for byte what encoding the wire structs gives
# (tests/estimates/test_project_digest.py). It stands where the list of structs would.
_encode = msgspec.json.Encoder().encode


def _models_out(runs: list[Run], out: Formatter, breakdown: bool, share: Range) -> list[wire.ModelProjectOut]:
    parts: list[bytes] = []
    append = parts.append
    if share.low != share.high:  # else no session's cost is a range: nothing to prepare
        out.prepare_tails([run.cost for run in runs], breakdown)
    for run in runs:
        tail = out.model_tail(run.cost, breakdown)
        for member in run.members:
            append(member[3])
            append(tail)
    return cast("list[wire.ModelProjectOut]", _array(parts))


def _plans_out(plans: list[Run | Plan], out: Formatter, against: Baseline) -> list[wire.PlanOut]:
    runs = [item for item in plans if isinstance(item, Run)]
    # Each run's ratios divided and its tail made once (mostly once per cost), all of them in one call each.
    costs = [run.cost.cost for run in runs]
    tails = iter(out.plan_tails(costs, against.divided_all(costs)))
    parts: list[bytes] = []
    append = parts.append
    for item in plans:
        if isinstance(item, Run):
            tail = next(tails)
            for member in item.members:
                append(member[4])
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
              models: list[Member], costs: dict[int, ModelCost], strategies: list[Plan],
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

