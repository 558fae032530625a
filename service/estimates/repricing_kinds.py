"""How each kind of quote is priced again: the same request pinned to the instants it was first priced at, the
models whose history that reads, and where its totals and the stretches of time it priced are in an answer.

Answers are read as plain JSON data (the stored one as decoded, today's as msgspec.to_builtins makes it), so one
reader serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from service.api.decoding import convert_strict
from service.api.problems import ProblemError
from service.estimates import schemas
from service.estimates.batch import estimate_batch, item_model
from service.estimates.comparison import compare_models, compare_plan
from service.estimates.compute import estimate_one
from service.estimates.limits import WorkLimits
from service.estimates.monthly import mixed_names, models_named, monthly_estimate
from service.estimates.project import project_estimate, project_models
from service.estimates.selfhost import self_host_estimate
from service.pricing.errors import InputError
from service.snapshot.catalog_snapshot import CatalogSnapshot

Answer = dict[str, Any]


class Total(NamedTuple):
    model: str | None  # the model this total is of; None: the whole answer's
    field: str  # where it is in the answer
    amount: str


class Stretch(NamedTuple):
    """A stretch of valid time an answer priced a model over: [start, end), or the instant `start` (end None)."""

    model: str
    start: datetime
    end: datetime | None


class Asked(NamedTuple):
    """A quote's request pinned to its first pricing's instants, and the models (None: every model) it prices."""

    request: msgspec.Struct
    model_ids: set[str] | None
    price: Callable[[CatalogSnapshot], Answer]  # the request priced on a catalog, as plain data


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _data(body: msgspec.Struct) -> Answer:
    # Through JSON, not to_builtins: a project answer holds parts already encoded (msgspec.Raw), which only the
    # encoder writes out.
    return msgspec.json.decode(msgspec.json.encode(body))  # type: ignore[no-any-return]


def asked_estimate(snapshot: CatalogSnapshot, request: Any, answered: Answer, made: datetime,
                   limits: WorkLimits) -> Asked:
    pinned = msgspec.structs.replace(request, model=answered["model"], at=answered["at"],
                                     requested_at=answered["requested_at"])
    return Asked(pinned, {answered["model"]}, lambda catalog: _data(estimate_one(catalog, pinned).body))


def asked_batch(snapshot: CatalogSnapshot, request: Any, answered: Answer, made: datetime,
                limits: WorkLimits) -> Asked:
    # Items without an instant were priced at the batch's one instant: that of an answered item without one, or,
    # when none was answered, the quote's.
    pairs = list(zip(request.items, answered["data"], strict=True))
    now = next((done["result"]["at"] for item, done in pairs if _unpinned(item) and done["ok"]), made.isoformat())
    pinned = msgspec.structs.replace(request, items=[{**item, "at": now} if _unpinned(item) else item
                                                     for item in request.items])
    models: set[str] = set()
    for item in pinned.items:
        try:
            models.add(item_model(snapshot, convert_strict(item, schemas.EstimateRequest), made))
        except (InputError, ProblemError):
            continue  # the item's own problem, when it is priced
    return Asked(pinned, models, lambda catalog: _data(estimate_batch(catalog, pinned.items, limits=limits).body))


def _unpinned(item: Any) -> bool:
    return isinstance(item, dict) and item.get("at") is None and item.get("requested_at") is None


def asked_compare(snapshot: CatalogSnapshot, request: Any, answered: Answer, made: datetime,
                  limits: WorkLimits) -> Asked:
    pinned = request if request.at or request.requested_at else msgspec.structs.replace(request, at=answered["at"])
    plan = compare_plan(snapshot, pinned)  # resolved once, for the history read and for the pricing
    return Asked(pinned, plan.model_ids(), lambda catalog: _data(compare_models(catalog, pinned, plan).body))


def asked_monthly(snapshot: CatalogSnapshot, request: Any, answered: Answer, made: datetime,
                  limits: WorkLimits) -> Asked:
    pinned = request
    if request.month is None and request.at is None:
        pinned = msgspec.structs.replace(request, at=answered["periods"][0]["from"])
    return Asked(pinned, models_named(snapshot, mixed_names(pinned)),
                 lambda catalog: _data(monthly_estimate(catalog, pinned).body))


def asked_project(snapshot: CatalogSnapshot, request: Any, answered: Answer, made: datetime,
                  limits: WorkLimits) -> Asked:
    pinned = msgspec.structs.replace(request, at=answered["at"])
    return Asked(pinned, project_models(snapshot, pinned, _instant(answered["at"])),
                 lambda catalog: _data(project_estimate(catalog, pinned, limits).body))


def asked_self_host(snapshot: CatalogSnapshot, request: Any, answered: Answer, made: datetime,
                    limits: WorkLimits) -> Asked:
    # Its answer has no instant: one without `at` was priced when the quote was made.
    pinned = request if request.at else msgspec.structs.replace(request, at=made.isoformat())
    models = set() if answered["compare_with"] is None else {answered["compare_with"]["model"]}
    return Asked(pinned, models, lambda catalog: _data(self_host_estimate(catalog, pinned).body))


def totals_of(kind: str, result: Answer) -> list[Total]:
    """An answer's natural totals: an estimate's cost, a batch's or a month's total, each compared model's cost, a
    project's expected cost per model, a self-host comparison's API price (and monthly cost)."""
    if kind == "estimate":
        return [Total(result["model"], "cost.total", result["cost"]["total"])]
    if kind in ("batch", "monthly"):
        return [Total(None, "total", result["total"])]
    if kind == "compare":
        return [Total(row["model"], "rows[].cost.total", row["cost"]["total"]) for row in result["rows"]]
    if kind == "project":
        return [Total(m["model"], "models[].cost.expected", m["cost"]["expected"]) for m in result["models"]]
    compared = result["compare_with"]
    if compared is None:
        return []
    found = [Total(compared["model"], "compare_with.api_per_mtok", compared["api_per_mtok"])]
    if compared["api_monthly_cost"] is not None:
        found.append(Total(compared["model"], "compare_with.api_monthly_cost", compared["api_monthly_cost"]))
    return found


def stretches_of(kind: str, result: Answer, request: Any) -> list[Stretch]:
    """The stretches of valid time an answer priced, model by model: what a correction must meet to change it."""
    if kind == "estimate":
        return [Stretch(result["model"], _instant(result["at"]), None)]
    if kind == "batch":
        return [Stretch(item["result"]["model"], _instant(item["result"]["at"]), None)
                for item in result["data"] if item["ok"]]
    if kind == "compare":
        return [Stretch(row["model"], _instant(result["at"]), None) for row in result["rows"]]
    if kind == "monthly":
        return [Stretch(p["model"], _instant(p["from"]), None if p["to"] is None else _instant(p["to"]))
                for p in result["periods"]]
    if kind == "project":
        return [Stretch(m["model"], _instant(result["at"]), None) for m in result["models"]]
    compared = result["compare_with"]
    return [] if compared is None else [Stretch(compared["model"], _instant(request.at), None)]


ASKED: dict[str, Callable[[CatalogSnapshot, Any, Answer, datetime, WorkLimits], Asked]] = {
    "estimate": asked_estimate, "batch": asked_batch, "compare": asked_compare, "monthly": asked_monthly,
    "project": asked_project, "self-host": asked_self_host,
}
