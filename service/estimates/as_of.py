"""Estimates with `known_at` (POST /v1/estimate and its batch): prices as the catalog said then, from the database.

The snapshot holds what is known now, so an estimate as known then reads the model's history as it was recorded
then (docs/history.md), and prices it with the same code as every other estimate. The model's name is resolved by
today's names and aliases. Requests without `known_at` never come here, and never touch the database.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.api.instants import parse_instant
from service.api.problems import ProblemError, problem_of
from service.catalog.price_queries import corrections_at, load_timelines
from service.catalog.schemas import CorrectionRef
from service.estimates import schemas
from service.estimates.answers import (
    Answer,
    AsOf,
    AsOfBatch,
    encoded_in_slices,
    json_answer,
    off_loop,
    problem_answer,
    read_item,
)
from service.estimates.batch import PriceOne, estimate_batch, item_model
from service.estimates.compute import EstimatedOne, PricesSeen, estimate_one, instants_of
from service.estimates.limits import WorkLimits
from service.pricing.errors import InputError
from service.snapshot.catalog_snapshot import CatalogSnapshot

_ENCODER = msgspec.json.Encoder()


async def answer_as_of(
    sessionmaker: async_sessionmaker[AsyncSession], snapshot: CatalogSnapshot, asked: AsOf
) -> Answer:
    request = asked.request
    try:
        known_at = parse_instant(request.known_at, field="known_at")
        at, _ = instants_of(request)
        model = snapshot.resolve(request.model, at)
        async with sessionmaker() as session, session.begin():
            _, timelines = await load_timelines(session, [model], known_at=known_at)
            corrections = await corrections_at(session, model, at, known_at)
        then = dataclasses.replace(snapshot, timelines=timelines)
        body = estimate_one(then, msgspec.structs.replace(request, model=model, known_at=None)).body
    except InputError as exc:
        return problem_answer(problem_of(exc))
    except ProblemError as exc:
        return problem_answer(exc.problem, exc.headers)
    body.price.known_at = known_at
    body.price.corrections = [CorrectionRef(id=c.id, reason=c.reason) for c in corrections]
    return json_answer(_ENCODER.encode(body))


async def answer_batch_as_of(
    sessionmaker: async_sessionmaker[AsyncSession], snapshot: CatalogSnapshot, asked: AsOfBatch, limits: WorkLimits
) -> Answer:
    """A batch whose items (some or all) are priced as the catalog said at their `known_at`, or the batch's. The
    history and corrections of every model they need are read once per record time asked, not once per item; items
    without any `known_at` are priced from the snapshot, as in every other batch."""
    now = datetime.now(UTC)  # as estimate_batch's: items without `at` are priced at one instant
    wanted: dict[datetime, set[str]] = {}
    for item in asked.items:
        try:
            known_at, model = _asked_then(snapshot, item, asked.batch.known_at, now)
        except (InputError, ProblemError):
            continue  # the item's own problem, when it is priced
        if known_at is not None:
            wanted.setdefault(known_at, set()).add(model)
    catalogs: dict[datetime, CatalogSnapshot] = {}
    if wanted:
        async with sessionmaker() as session, session.begin():
            for known_at, models in wanted.items():
                _, timelines = await load_timelines(session, models, known_at=known_at)
                catalogs[known_at] = dataclasses.replace(snapshot, timelines=timelines)
    priced = _ThenPricer(asked.batch.known_at, catalogs)
    return await off_loop(_priced_batch, snapshot, asked, limits, priced)


def _priced_batch(
    snapshot: CatalogSnapshot, asked: AsOfBatch, limits: WorkLimits, price_one: PriceOne
) -> Answer:
    try:
        result = estimate_batch(snapshot, asked.items, read_item, limits, price_one).body
    except ProblemError as exc:
        return problem_answer(exc.problem, exc.headers)
    return json_answer(encoded_in_slices(result))


def _asked_then(
    snapshot: CatalogSnapshot, item: schemas.EstimateRequest | msgspec.Raw, batch_known_at: str | None,
    now: datetime,
) -> tuple[datetime | None, str]:
    """The item's record time (its own `known_at`, else the batch's; None for neither) and model id."""
    request = read_item(item)
    asked = request.known_at if request.known_at is not None else batch_known_at
    model = item_model(snapshot, request, now)
    return (None if asked is None else parse_instant(asked, field="known_at")), model


class _ThenPricer:
    """price_one for a batch asked with known_at: each item on the catalog of its record time."""

    def __init__(self, batch_known_at: str | None, catalogs: dict[datetime, CatalogSnapshot]) -> None:
        self.batch_known_at = batch_known_at
        self.catalogs = catalogs
        self.seen: dict[datetime, PricesSeen] = {}  # a price looked up as known at one record time, not another

    def __call__(self, snapshot: CatalogSnapshot, request: schemas.EstimateRequest, now: datetime,
                 seen: PricesSeen) -> EstimatedOne:
        known_at, model = _asked_then(snapshot, request, self.batch_known_at, now)
        if known_at is None:
            return estimate_one(snapshot, request, now, seen)
        then = msgspec.structs.replace(request, model=model, known_at=None)
        one = estimate_one(self.catalogs[known_at], then, now, self.seen.setdefault(known_at, {}))
        # Items of one model, instant and record time share one rendered price, and these fields with it.
        one.body.price.known_at = known_at
        # The catalog of then named the corrections known then covering `at` (compute._marked); none is said too.
        one.body.price.corrections = one.body.price.corrections or []
        return one
