"""Loads the seed's project assumptions (the article's figures, and sourced assumptions where it is silent) into
a catalog that has none, through the same query as the API."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.decoding import convert_strict
from service.catalog.assumption_schemas import AssumptionCreate
from service.catalog.assumptions import add_assumption
from service.db.models import AssumptionRow


def assumption_document() -> dict[str, Any]:
    return json.loads(resources.files("service.catalog").joinpath("seed/assumptions.json").read_text())


async def load_assumptions_if_empty(session: AsyncSession) -> bool:
    """True when the seed's assumptions were loaded; they are loaded only into a catalog without any."""
    if await session.scalar(select(exists().where(AssumptionRow.id.isnot(None)))):
        return False
    doc = assumption_document()
    for item in doc["assumptions"]:
        await add_assumption(session, convert_strict({**item, "valid_from": doc["valid_from"]}, AssumptionCreate))
    return True
