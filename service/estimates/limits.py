"""How much work one estimate request may ask for: items of a batch, models of a monthly or project estimate.

Estimate routes check no key (anyone may call them), so these bound what any caller, anonymous or not, can make
one process compute in one request. Each is a setting; past it, a 413 that names the limit and its setting.
"""

from __future__ import annotations

from typing import NamedTuple

from service.api.problems import ProblemError

MAX_ITEMS = 10_000  # the default of both, and the most either may be set to


class WorkLimits(NamedTuple):
    batch_items: int = MAX_ITEMS  # ESTIMATE_MAX_BATCH_ITEMS
    models: int = MAX_ITEMS  # ESTIMATE_MAX_MODELS: monthly/models' `models`, a project's models (all_models too)


DEFAULT_LIMITS = WorkLimits()


def check_batch(count: int, limits: WorkLimits) -> None:
    if count > limits.batch_items:
        raise ProblemError(413, "batch-too-large", "Batch too large",
                           f"a batch holds at most {limits.batch_items} items (the setting ESTIMATE_MAX_BATCH_ITEMS), "
                           f"got {count}: split it into several requests")


def check_models(count: int, limits: WorkLimits, field: str) -> None:
    if count > limits.models:
        raise ProblemError(413, "batch-too-large", "Too many models",
                           f"`{field}` names {count} models, more than the {limits.models} one request may price "
                           "(the setting ESTIMATE_MAX_MODELS): split the models over several requests")
