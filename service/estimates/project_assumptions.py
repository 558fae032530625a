"""The assumptions in force at an instant, found in the snapshot's history and turned into the core's types, each
remembered with its row so that an estimate can name every assumption it used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Generic, NamedTuple, Protocol, TypeVar

import msgspec

from service.catalog import assumption_schemas as wire
from service.pricing.project import Range, Tooling
from service.pricing.project_plans import NodeProfile
from service.snapshot.assumption_history import AssumptionHistory

T = TypeVar("T")


class StoredAssumption(Protocol):
    """What an estimate reads of a stored version (a snapshot's record, or an ORM row in the benchmark); read-only
    properties, so that a frozen record fits."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def figures(self) -> dict[str, object]: ...
    @property
    def assumed(self) -> bool: ...
    @property
    def source(self) -> str: ...


class Used(NamedTuple, Generic[T]):
    value: T
    trace: wire.AssumptionUsed


class SelfHost(NamedTuple):
    model: str
    node: NodeProfile


class AssumptionSet(NamedTuple):
    tooling: dict[str, Used[Tooling]]
    sizes: dict[str, Used[wire.ProjectSizeFigures]]
    retries: dict[str, Used[dict[str, Range]]]
    self_host: dict[str, Used[SelfHost]]


def _range(span: wire.Span | None) -> Range | None:
    return None if span is None else Range(span.low, span.high)


def _trace(row: StoredAssumption) -> wire.AssumptionUsed:
    return wire.AssumptionUsed(id=row.id, kind=row.kind, key=row.key, version=row.version,  # type: ignore[arg-type]
                               assumed=row.assumed, source=row.source)


def _figures(row: StoredAssumption) -> wire.Figures:
    return msgspec.convert({**row.figures, "kind": row.kind}, wire.Figures)  # type: ignore[arg-type]


def assumption_set(rows: Sequence[StoredAssumption]) -> AssumptionSet:
    result = AssumptionSet({}, {}, {}, {})
    for row in rows:
        figures = _figures(row)
        trace = _trace(row)
        if isinstance(figures, wire.ToolingFigures):
            result.tooling[row.key] = Used(Tooling(
                figures.sessions_per_feature.as_dict(), figures.first_prompt_tokens, figures.output_tokens_per_turn,
                figures.turns, figures.context_growth_per_turn,
                Range(figures.cache_read_share.low, figures.cache_read_share.high)), trace)
        elif isinstance(figures, wire.ProjectSizeFigures):
            result.sizes[row.key] = Used(figures, trace)
        elif isinstance(figures, wire.RetryFactorFigures):
            ranges = figures.by_complexity
            result.retries[row.key] = Used({name: Range(span.low, span.high) for name, span in (
                ("simple", ranges.simple), ("moderate", ranges.moderate), ("complex", ranges.complex))}, trace)
        else:
            node = NodeProfile(figures.node_hourly_usd, figures.utilization, _range(figures.cost_per_mtok_range),
                               _range(figures.tokens_per_second))
            result.self_host[row.key] = Used(SelfHost(figures.model, node), trace)
    return result


def assumptions_in_force(history: AssumptionHistory, at: datetime) -> AssumptionSet:
    """The set in force at `at`, made once per stretch of time in which it holds (no query, no conversion per
    request). Callers only read it."""
    found = history.at(at)
    made = found.derived.get("project")
    if made is None:
        made = found.derived["project"] = assumption_set(found.rows)
    assert isinstance(made, AssumptionSet)
    return made
