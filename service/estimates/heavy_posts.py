"""The estimate POSTs whose work can be big, a batch and a project estimate over many offerings, answered off the
event loop: in a batch process when the app has one (service/estimates/batch_process.py), else on the batch thread.

Why: a project estimate over every offering is tens of milliseconds of CPU (docs/benchmarks.md), as a big batch is.
On the event loop every other client's request waits for all of it; a flood of them held single estimates as a
flood of batches did (bench.anonymous_flood, BENCH_FLOOD=project). A project over a few named models stays on the
loop: its answer takes less time than the hop to another thread.

The fast entry (fast_path.py) and the routes (routes.py, project_routes.py) both answer through these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from service.estimates.answers import Answer, AsOfBatch, answer_project, off_loop
from service.estimates.as_of import answer_batch_as_of
from service.estimates.batch_process import SpooledAnswer, answer_batch_anywhere
from service.snapshot.catalog_snapshot import CatalogSnapshot

# An answer that may be made off the event loop, from the app's state, the snapshot and the body.
HeavyAnswering = Callable[[Any, CatalogSnapshot, bytes], Awaitable[Answer | SpooledAnswer]]
# A project over more named models than this is priced off the loop. Six models and a hybrid take about 0.2 ms of
# CPU, 64 about 0.5 ms (the autonomous agent with the breakdown): little more than a hop to the batch thread and back
# costs, and on that thread the interpreter lock is still shared with the loop.
INLINE_MODELS = 64


async def answer_batch_post(state: Any, snapshot: CatalogSnapshot, body: bytes) -> Answer | SpooledAnswer:
    """POST /v1/estimate/batch's answer (`state`: the app's)."""
    limits = state.work_limits
    batch = await answer_batch_anywhere(state.get("batch_process"), snapshot, body, limits)
    if isinstance(batch, AsOfBatch):
        return await answer_batch_as_of(state.sessionmaker, snapshot, batch, limits)
    return batch


async def answer_project_post(state: Any, snapshot: CatalogSnapshot, body: bytes) -> Answer | SpooledAnswer:
    """POST /v1/estimate/project's answer: on the loop when it names a few models (or does not decode: its problem
    is made here), else in a batch process or on the batch thread."""
    limits = state.work_limits
    if not _names_many(body):
        return answer_project(snapshot, body, limits)
    process = state.get("batch_process")
    if process is not None:
        answer = await process.answer(snapshot, body, limits, project=True)
        if answer is not None:
            return answer  # type: ignore[no-any-return]
    return await off_loop(answer_project, snapshot, body, limits)


class _ModelSet(msgspec.Struct):
    """The fields of a project request that say how many offerings it prices; the rest is not read here."""

    models: list[msgspec.Raw] | None = None
    provider: str | None = None
    all_models: bool = False


_MODEL_SET = msgspec.json.Decoder(_ModelSet)


def _names_many(body: bytes) -> bool:
    try:
        found = _MODEL_SET.decode(body)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return False  # refused by answer_project, on the loop: a problem is quick to make
    return found.all_models or found.provider is not None or len(found.models or ()) > INLINE_MODELS
