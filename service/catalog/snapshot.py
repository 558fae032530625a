"""An in-process copy of the whole catalog, as pure-core timelines: estimates price from it without a query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog.price_queries import to_discount, to_period
from service.db.models import Model, Price, Promotion
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
    models = list(await session.scalars(select(Model).order_by(Model.id)))
    periods: dict[str, list] = {m.id: [] for m in models}
    discounts: dict[str, list] = {m.id: [] for m in models}
    for price in await session.scalars(select(Price)):
        periods[price.model_id].append(to_period(price))
    for promotion in await session.scalars(select(Promotion)):
        discounts[promotion.model_id].append(to_discount(promotion))
    return CatalogSnapshot(
        models={m.id: ModelInfo(m.id, m.provider_id, m.name, m.context_window) for m in models},
        timelines={m.id: ModelTimeline(periods[m.id], discounts[m.id]) for m in models},
        loaded_at=datetime.now(UTC),
    )
