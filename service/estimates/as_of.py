"""POST /v1/estimate with `known_at`: the price as the catalog said at a record time, read from the database.

The snapshot holds what is known now, so an estimate as known then reads the model's history as it was recorded
then (docs/history.md), and prices it with the same code as every other estimate. The model's name is resolved by
today's names and aliases. Requests without `known_at` never come here, and never touch the database.
"""

from __future__ import annotations

import dataclasses

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.api.instants import parse_instant
from service.api.problems import ProblemError, problem_of
from service.catalog.price_queries import corrections_at, load_timelines
from service.catalog.schemas import CorrectionRef
from service.estimates.answers import Answer, AsOf, json_answer, problem_answer
from service.estimates.compute import estimate_one, instants_of
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
