"""Compare and monthly estimates with `known_at`: priced on the whole catalog as it was recorded then.

The same code prices them as without `known_at` (service.estimates.comparison and .monthly); only the catalog it
is given differs: today's snapshot with every model's history replaced by the history known at that record time,
read in one transaction. Names are resolved by today's names, as for POST /v1/estimate with `known_at`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.api.instants import parse_instant
from service.catalog.price_queries import corrections_of, load_timelines
from service.catalog.schemas import CorrectionRef
from service.db.models import CorrectionRow
from service.estimates import schemas
from service.estimates.as_of import covering
from service.estimates.comparison import compare_models
from service.estimates.limits import WorkLimits
from service.estimates.monthly import monthly_estimate
from service.estimates.monthly_models import monthly_for_models
from service.snapshot.catalog_snapshot import CatalogSnapshot

Sessions = async_sessionmaker[AsyncSession]


class _Then(NamedTuple):
    snapshot: CatalogSnapshot  # today's names, the histories known then
    corrections: list[CorrectionRow]  # every correction known then


async def _catalog_then(sessionmaker: Sessions, snapshot: CatalogSnapshot, known_at: datetime) -> _Then:
    async with sessionmaker() as session, session.begin():
        _, timelines = await load_timelines(session, known_at=known_at)
        corrections = await corrections_of(session, None, known_at)
    return _Then(dataclasses.replace(snapshot, timelines=timelines), corrections)


async def compare_as_of(
    sessionmaker: Sessions, snapshot: CatalogSnapshot, request: schemas.CompareRequest
) -> schemas.CompareResult:
    known_at = parse_instant(request.known_at, field="known_at")
    then = await _catalog_then(sessionmaker, snapshot, known_at)
    result = compare_models(then.snapshot, msgspec.structs.replace(request, known_at=None)).body
    result.known_at = known_at
    result.corrections = _unique(ref for row in result.rows
                                 for ref in covering(then.corrections, known_at, row.model, result.at))
    return result


async def monthly_as_of(
    sessionmaker: Sessions, snapshot: CatalogSnapshot, request: schemas.MonthlyRequest
) -> schemas.MonthlyResult:
    known_at = parse_instant(request.known_at, field="known_at")
    then = await _catalog_then(sessionmaker, snapshot, known_at)
    result = monthly_estimate(then.snapshot, msgspec.structs.replace(request, known_at=None)).body
    _mark(result, known_at, then.corrections)
    return result


async def monthly_models_as_of(
    sessionmaker: Sessions, snapshot: CatalogSnapshot, request: schemas.MonthlyModelsRequest, limits: WorkLimits
) -> schemas.MonthlyModelsResult:
    known_at = parse_instant(request.known_at, field="known_at")
    then = await _catalog_then(sessionmaker, snapshot, known_at)
    result = monthly_for_models(then.snapshot, msgspec.structs.replace(request, known_at=None), limits).body
    for item in result.data:
        if item.result is not None:
            _mark(item.result, known_at, then.corrections)
    return result


def _mark(result: schemas.MonthlyResult, known_at: datetime, corrections: list[CorrectionRow]) -> None:
    """A month says when it was known, and which corrections known then cover its stretches."""
    result.known_at = known_at
    # A stretch's `to` is None only for a month priced at the one instant `at`: then it covers that instant.
    result.corrections = _unique(ref for p in result.periods
                                 for ref in covering(corrections, known_at, p.model, p.from_, p.to))


def _unique(refs: Iterable[CorrectionRef]) -> list[CorrectionRef]:
    return sorted({ref.id: ref for ref in refs}.values(), key=lambda ref: ref.id)
