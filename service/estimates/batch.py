"""Many estimates in one request: each item succeeds or fails on its own, and the total adds the good ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from service.api.decoding import convert_strict
from service.api.problems import Problem, ProblemError, problem_of
from service.estimates import schemas
from service.estimates.compute import EstimatedOne, Priced, PricesSeen, estimate_one, instants_of, total_of
from service.estimates.limits import DEFAULT_LIMITS, WorkLimits, check_batch
from service.pricing.errors import InputError
from service.pricing.estimate import Estimate
from service.pricing.money import format_decimal
from service.snapshot.catalog_snapshot import CatalogSnapshot


def _item_problem(index: int, problem: Problem) -> Problem:
    return msgspec.structs.replace(problem, detail=f"items[{index}]: {problem.detail}")


def _from_dict(item: Any) -> schemas.EstimateRequest:
    return convert_strict(item, schemas.EstimateRequest)


# How an item is priced: the snapshot's estimate_one by default; a batch asked with known_at prices some items on
# the catalog as recorded then (service.estimates.as_of).
PriceOne = Callable[[CatalogSnapshot, schemas.EstimateRequest, datetime, PricesSeen], EstimatedOne]


def estimate_batch(
    snapshot: CatalogSnapshot, items: Sequence[Any],
    read_item: Callable[[Any], schemas.EstimateRequest] = _from_dict, limits: WorkLimits = DEFAULT_LIMITS,
    price_one: PriceOne = estimate_one,
) -> Priced[schemas.BatchResult]:
    """Each item read by `read_item` (from a decoded dict by default; it raises InputError for an item that is not
    an estimate request), then estimated on its own by `price_one`. An item's problem names its fields relative to
    the item, as if it had been posted alone to /v1/estimate; its detail starts with `items[i]`."""
    check_batch(len(items), limits)
    now = datetime.now(UTC)  # items without `at` are priced at one instant, so the batch is consistent
    data: list[schemas.BatchItem] = []
    results: list[Estimate] = []
    price_ids: set[int] = set()
    seen: PricesSeen = {}  # items of a batch mostly share their model and instant: look each up once
    for index, item in enumerate(items):
        try:
            request = read_item(item)
            body, result, price_id = price_one(snapshot, request, now, seen)
        except InputError as exc:
            data.append(schemas.BatchItem(ok=False, error=_item_problem(index, problem_of(exc))))
            continue
        except ProblemError as exc:
            data.append(schemas.BatchItem(ok=False, error=_item_problem(index, exc.problem)))
            continue
        data.append(schemas.BatchItem(ok=True, result=body))
        results.append(result)
        price_ids.add(price_id)
    return Priced(schemas.BatchResult(
        data=data, total=format_decimal(total_of(results)), succeeded=len(results),
        failed=len(data) - len(results),
    ), sorted(price_ids))


def item_model(snapshot: CatalogSnapshot, request: schemas.EstimateRequest, now: datetime) -> str:
    """The stored id an item prices, resolved by today's names at its instant (`now` for an item without one)."""
    at, _ = instants_of(request, now)
    return snapshot.resolve(request.model, at)
