"""The order of a project estimate's answer: its offerings by expected cost and then by name, kept in runs of one
shared cost, and the strategies' plans merged in among them as service.pricing.project_plans.rank orders plans.

Offerings that share a price (resellers of one maker) share one ModelCost; ordering and ranking work per cost and
per run, so that thousands of offerings are sorted by a few thousand distinct costs plus their names.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from service.estimates.project_offerings import Member
from service.pricing.project import Bounds, ModelCost
from service.pricing.project_plans import Plan

_new = tuple.__new__  # skips a NamedTuple's Python-level constructor, once per distinct cost


class Run(NamedTuple):
    """Offerings next to one another in the answer's order, of one cost, by name."""

    cost: ModelCost
    members: list[Member]


def runs_in_order(groups: list[tuple[ModelCost, list[Member]]]) -> list[Run]:
    """The offerings by expected cost, then by name, as runs of one cost each."""
    expected = [cost.cost.expected for cost, _ in groups]
    order = sorted(range(len(groups)), key=expected.__getitem__)  # stable, as a sort of the groups themselves
    runs: list[Run] = []
    index, count = 0, len(order)
    while index < count:
        position = order[index]
        value = expected[position]
        end = index + 1
        while end < count and expected[order[end]] == value:
            end += 1
        if end == index + 1:
            cost, members = groups[position]
            runs.append(_new(Run, (cost, sorted(members, key=itemgetter(0)) if len(members) > 1 else members)))
        else:  # several costs of one expected value: their offerings take turns by name
            tagged = sorted(((member[0], member, groups[at][0]) for at in order[index:end]
                             for member in groups[at][1]), key=itemgetter(0))
            # ModelCost compares by identity: a run ends where the cost changes.
            runs += [Run(group_cost, [member for _, member, _ in items])
                     for group_cost, items in groupby(tagged, key=itemgetter(2))]
        index = end
    return runs


def plans_in_order(runs: list[Run], strategies: list[Plan]) -> list[Run | Plan]:
    """The model plans (the runs) and the strategies' plans by expected cost, then by name; a model before a strategy
    of the same cost and name, and strategies of one cost and name as they were asked, as rank()'s stable sort of
    the models followed by the strategies."""
    pending = sorted(strategies, key=lambda plan: (plan.cost.expected, plan.name))
    items: list[Run | Plan] = []
    waiting = 0
    for run in runs:
        expected = run.cost.cost.expected
        while waiting < len(pending) and pending[waiting].cost.expected < expected:
            items.append(pending[waiting])
            waiting += 1
        if waiting == len(pending) or pending[waiting].cost.expected != expected:
            items.append(run)
            continue
        start = 0  # a strategy of this very expected cost goes in among the run's offerings, by name
        for position, member in enumerate(run.members):
            name = member[0]
            while (waiting < len(pending) and pending[waiting].cost.expected == expected
                   and pending[waiting].name < name):
                if position > start:
                    items.append(Run(run.cost, run.members[start:position]))
                    start = position
                items.append(pending[waiting])
                waiting += 1
        items.append(Run(run.cost, run.members[start:]))
    items.extend(pending[waiting:])
    return items


def first_plan(items: list[Run | Plan]) -> tuple[str, Bounds] | None:
    """The cheapest plan's name and cost: the ratios' baseline when none is asked for."""
    if not items:
        return None
    item = items[0]
    return (item.members[0][0], item.cost.cost) if isinstance(item, Run) else (item.name, item.cost)


def named_plan(name: str, models: list[Member], costs: dict[int, ModelCost], strategies: list[Plan]) -> Bounds | None:
    """The cost of the plan of this name: a model of the set (its group's cost), else the first such strategy in
    rank's order."""
    member = next((member for member in models if member[0] == name), None)
    if member is not None:
        return costs[member[2]].cost
    found = [plan for plan in strategies if plan.name == name]
    return min(found, key=lambda plan: plan.cost.expected).cost if found else None

