"""Loads the seed catalog (the article's models and prices) into an empty database, through the same queries
as the API, so the seed obeys every rule a client's write does."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import msgspec
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog import price_queries, queries, schemas
from service.db.models import ProviderRow


def seed_document() -> dict[str, Any]:
    return json.loads(resources.files("service.catalog").joinpath("seed/catalog.json").read_text())


async def load_seed_if_empty(session: AsyncSession) -> bool:
    """True when the seed was loaded; an empty catalog is one without providers."""
    if await session.scalar(select(exists().where(ProviderRow.id.isnot(None)))):
        return False
    doc = seed_document()
    source = doc["source"]
    for item in doc["providers"]:
        await queries.create_provider(session, msgspec.convert(item, schemas.ProviderCreate))
    for item in doc["models"]:
        await queries.create_model(session, msgspec.convert(item, schemas.ModelCreate))
    # Promotions first: a past promotion may only be laid where the model has no price yet (a backfill), and the
    # seed's launch discounts are past. The prices then fill the gaps beneath them.
    for item in doc["promotions"]:
        promotion = msgspec.convert({**item, "source": source}, schemas.PromotionCreate)
        await price_queries.create_promotion(session, promotion)
    for item in doc["prices"]:
        fields = {key: value for key, value in item.items() if key != "model"}
        period = msgspec.convert({**fields, "source": source}, schemas.PricePeriodCreate)
        await price_queries.add_price(session, item["model"], period)
    return True
