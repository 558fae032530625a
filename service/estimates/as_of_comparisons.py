"""Compare and monthly estimates with `known_at`: priced on the whole catalog as it was recorded then.

The same code prices them as without `known_at` (service.estimates.comparison and .monthly); only the catalog it
is given differs: today's snapshot with the history of the models the request prices replaced by their history known
at that record time, read in one transaction. The models are resolved once, by today's names (as for POST
/v1/estimate with `known_at`), by the functions that price them (comparison.compare_plan, monthly.models_named):
only a comparison of the whole catalog reads every model's history.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.api.instants import parse_instant
from service.estimates import schemas
from service.estimates.comparison import compare_models, compare_plan
from service.estimates.limits import WorkLimits
from service.estimates.monthly import mixed_names, models_named, monthly_estimate
from service.estimates.monthly_models import monthly_for_models
from service.snapshot.catalog_snapshot import CatalogSnapshot, snapshot_known_at

Sessions = async_sessionmaker[AsyncSession]


async def _catalog_then(
    sessionmaker: Sessions, snapshot: CatalogSnapshot, known_at: datetime, model_ids: set[str] | None = None
) -> CatalogSnapshot:
    """Today's names, and the history and corrections of `model_ids` (default: every model, which only a compare
    over the whole catalog needs) as known at `known_at`."""
    async with sessionmaker() as session, session.begin():
        return await snapshot_known_at(session, snapshot, known_at, model_ids)


async def compare_as_of(
    sessionmaker: Sessions, snapshot: CatalogSnapshot, request: schemas.CompareRequest
) -> schemas.CompareResult:
    known_at = parse_instant(request.known_at, field="known_at")
    request = msgspec.structs.replace(request, known_at=None)
    plan = compare_plan(snapshot, request)  # the models compared, resolved once, by today's names
    then = await _catalog_then(sessionmaker, snapshot, known_at, plan.model_ids())
    result = compare_models(then, request, plan).body
    _mark(result, known_at)
    return result


async def monthly_as_of(
    sessionmaker: Sessions, snapshot: CatalogSnapshot, request: schemas.MonthlyRequest
) -> schemas.MonthlyResult:
    known_at = parse_instant(request.known_at, field="known_at")
    then = await _catalog_then(sessionmaker, snapshot, known_at, models_named(snapshot, mixed_names(request)))
    result = monthly_estimate(then, msgspec.structs.replace(request, known_at=None)).body
    _mark(result, known_at)
    return result


async def monthly_models_as_of(
    sessionmaker: Sessions, snapshot: CatalogSnapshot, request: schemas.MonthlyModelsRequest, limits: WorkLimits
) -> schemas.MonthlyModelsResult:
    known_at = parse_instant(request.known_at, field="known_at")
    then = await _catalog_then(sessionmaker, snapshot, known_at, models_named(snapshot, request.models))
    result = monthly_for_models(then, msgspec.structs.replace(request, known_at=None), limits).body
    for item in result.data:
        if item.result is not None:
            _mark(item.result, known_at)
    return result


def _mark(result: schemas.CompareResult | schemas.MonthlyResult, known_at: datetime) -> None:
    """An answer as known then says when, and lists the corrections known then that it was priced on (the
    snapshot of then named them, service.estimates.compute.corrections_in), even when there are none."""
    result.known_at = known_at
    if result.corrections is UNSET:
        result.corrections = []
