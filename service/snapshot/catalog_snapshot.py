"""An in-process copy of the whole catalog, as pure-core timelines: estimates price from it without a query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog.price_queries import load_timelines
from service.pricing.timeline import ModelTimeline


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    provider: str
    name: str
    context_window: int | None


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    models: dict[str, ModelInfo]
    timelines: dict[str, ModelTimeline]
    loaded_at: datetime


async def load_snapshot(session: AsyncSession) -> CatalogSnapshot:
    """Read every model, price and promotion. Run it in a REPEATABLE READ transaction for a consistent copy."""
    models, timelines = await load_timelines(session)
    return CatalogSnapshot(
        models={m.id: ModelInfo(m.id, m.provider_id, m.name, m.context_window) for m in models},
        timelines=timelines,
        loaded_at=datetime.now(UTC),
    )
