"""An in-process copy of the whole catalog, as pure-core timelines: estimates price from it without a query.

A snapshot is never changed once made. It records the last catalog change it includes (`seq`, the change log's
sequence number), so that the next one can be made from it by applying only what changed since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog.price_queries import load_timelines
from service.db.models import ModelRow
from service.pricing.timeline import ModelTimeline


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    provider: str
    name: str
    context_window: int | None
    # The rest of a model's row, so that a page of /v1/models can be cut from the snapshot (catalog/snapshot_lists).
    open_weights: bool = False
    released_on: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    models: dict[str, ModelInfo]
    timelines: dict[str, ModelTimeline]
    loaded_at: datetime
    seq: int = 0  # the last change of the catalog's change log that this snapshot includes

    def updated(self, rows: Iterable[ModelRow], timelines: dict[str, ModelTimeline], asked: Iterable[str],
                seq: int) -> CatalogSnapshot:
        """A new snapshot in which each model of `asked` is as in `rows` and `timelines`, or gone if it is not
        there. The dicts are copied, not changed: readers of this snapshot never see a half-applied update."""
        models, kept_timelines = dict(self.models), dict(self.timelines)
        present = {row.id: row for row in rows}
        for model_id in asked:
            if model_id not in present:
                models.pop(model_id, None)
                kept_timelines.pop(model_id, None)
        added = False
        for model_id, row in present.items():
            added = added or model_id not in models
            models[model_id] = _info(row)  # an existing key keeps its place: the order by id holds
            kept_timelines[model_id] = timelines[model_id]
        if added:
            models = dict(sorted(models.items()))
        return replace(self, models=models, timelines=kept_timelines, loaded_at=datetime.now(UTC), seq=seq)


async def load_snapshot(session: AsyncSession, seq: int = 0) -> CatalogSnapshot:
    """Read every model, price and promotion. Run it in a REPEATABLE READ transaction for a consistent copy, and
    pass the change log's last sequence number read in that same transaction."""
    models, timelines = await load_timelines(session)
    return CatalogSnapshot(models={m.id: _info(m) for m in models}, timelines=timelines,
                           loaded_at=datetime.now(UTC), seq=seq)


def _info(row: ModelRow) -> ModelInfo:
    return ModelInfo(row.id, row.provider_id, row.name, row.context_window, row.open_weights, row.released_on,
                     row.created_at, row.updated_at)
