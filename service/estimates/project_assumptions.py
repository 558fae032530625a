"""The assumptions in force at an instant, read in one query and turned into the core's types, each remembered
with its row so that an estimate can name every assumption it used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Generic, NamedTuple, Protocol, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog import assumption_schemas as wire
from service.catalog.assumptions import assumptions_at
from service.pricing.project import Range, Tooling
from service.pricing.project_plans import NodeProfile

T = TypeVar("T")


class StoredAssumption(Protocol):
    """What an estimate reads of a stored version: an ORM row or a plain row of the assumptions table."""

    id: int
    kind: str
    key: str
    version: int
    figures: dict[str, object]
    assumed: bool
    source: str
    recorded_at: datetime


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


# A stored version's figures never change (the database refuses it; only its period may end), so each is read into
# its typed form once per process. The key holds recorded_at too: several databases (tests, a restore) may reuse
# an id for other figures, never with the same recording instant.
_FIGURES: dict[tuple[int, datetime], wire.Figures] = {}
_MAX_KEPT = 10_000


def _figures(row: StoredAssumption) -> wire.Figures:
    key = (row.id, row.recorded_at)
    figures = _FIGURES.get(key)
    if figures is None:
        if len(_FIGURES) >= _MAX_KEPT:
            _FIGURES.clear()
        figures = _FIGURES[key] = msgspec.convert({**row.figures, "kind": row.kind}, wire.Figures)  # type: ignore[arg-type]
    return figures


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


async def load_assumption_set(session: AsyncSession, at: datetime) -> AssumptionSet:
    return assumption_set(await assumptions_at(session, at))
