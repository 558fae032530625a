"""Small explicit factories: each makes one catalog row through the same queries the API uses."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.auth.keys import create_key
from service.catalog import price_queries, queries, schemas
from service.db.models import ModelRow, PriceRow, PromotionRow, ProviderRow


def unique_slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def make_provider(session: AsyncSession, provider_id: str | None = None) -> ProviderRow:
    return await queries.create_provider(
        session, schemas.ProviderCreate(id=provider_id or unique_slug("prov"), name="Test provider")
    )


async def make_model(session: AsyncSession, model_id: str | None = None, provider: str | None = None) -> ModelRow:
    provider_id = provider or (await make_provider(session)).id
    return await queries.create_model(
        session, schemas.ModelCreate(id=model_id or unique_slug("model"), provider=provider_id, name="Test model")
    )


async def make_price(
    session: AsyncSession, model_id: str, valid_from: datetime, valid_to: datetime | None = None,
    input_per_mtok: str = "1", output_per_mtok: str = "2", cache_read_per_mtok: str | None = None,
) -> PriceRow:
    data = schemas.PricePeriodCreate(
        valid_from=valid_from, valid_to=valid_to, input_per_mtok=Decimal(input_per_mtok),
        output_per_mtok=Decimal(output_per_mtok), source="test",
        cache_read_per_mtok=None if cache_read_per_mtok is None else Decimal(cache_read_per_mtok),
    )
    return await price_queries.add_price(session, model_id, data)


async def make_promotion(
    session: AsyncSession, model_id: str, percent_off: str, valid_from: datetime, valid_to: datetime | None = None
) -> PromotionRow:
    data = schemas.PromotionCreate(name="Test promotion", model=model_id, percent_off=Decimal(percent_off),
                                   valid_from=valid_from, valid_to=valid_to, source="test")
    return await price_queries.create_promotion(session, data)


async def committed_model_and_key(engine: AsyncEngine, prefix: str, *scopes: str) -> tuple[str, dict[str, str]]:
    """A model and an API key, committed for real: for tests whose requests commit (races, NOTIFY, quotes)."""
    model_id = unique_slug(prefix)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await make_model(session, model_id)
        _, secret = await create_key(session, prefix, list(scopes or ("catalog:write",)))
    return model_id, {"Authorization": f"Bearer {secret}"}
