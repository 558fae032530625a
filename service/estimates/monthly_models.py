"""A month of sessions priced on many models in one request, all against one snapshot: one row of a comparison
table per model, each succeeding or failing on its own."""

from __future__ import annotations

import msgspec

from service.api.problems import Problem, ProblemError, problem_of
from service.estimates import schemas
from service.estimates.compute import Priced
from service.estimates.limits import DEFAULT_LIMITS, WorkLimits, check_models
from service.estimates.monthly import monthly_estimate, prepared
from service.pricing.errors import InputError, InvalidValue
from service.snapshot.catalog_snapshot import CatalogSnapshot

# The fields a month's usage shares with a one-model request; `models` becomes each request's `model`.
_USAGE_FIELDS = tuple(field for field in schemas.MonthlyUsage.__struct_fields__)


def monthly_for_models(
    snapshot: CatalogSnapshot, request: schemas.MonthlyModelsRequest, limits: WorkLimits = DEFAULT_LIMITS
) -> Priced[schemas.MonthlyModelsResult]:
    check_models(len(request.models), limits, "models")
    if len(set(request.models)) != len(request.models):
        raise InvalidValue("each model may appear once in `models`", "models")
    usage = {name: getattr(request, name) for name in _USAGE_FIELDS}
    prepared(schemas.MonthlyRequest(**usage, model=request.models[0]))  # a bad usage fails the whole request
    data: list[schemas.MonthlyModelItem] = []
    price_ids: set[int] = set()
    for index, model in enumerate(request.models):
        try:
            priced = monthly_estimate(snapshot, schemas.MonthlyRequest(**usage, model=model))
        except InputError as exc:
            data.append(_failed(model, index, problem_of(exc)))
            continue
        except ProblemError as exc:
            data.append(_failed(model, index, exc.problem))
            continue
        data.append(schemas.MonthlyModelItem(model=model, ok=True, result=priced.body))
        price_ids.update(priced.price_ids)
    succeeded = sum(item.ok for item in data)
    result = schemas.MonthlyModelsResult(data=data, succeeded=succeeded, failed=len(data) - succeeded)
    return Priced(result, sorted(price_ids))


def _failed(model: str, index: int, problem: Problem) -> schemas.MonthlyModelItem:
    problem = msgspec.structs.replace(problem, detail=f"models[{index}]: {problem.detail}")
    return schemas.MonthlyModelItem(model=model, ok=False, error=problem)
