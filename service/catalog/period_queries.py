"""Stored price periods read in bulk, as the core's periods: what an import compares its file with."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import ARRAY, Text, any_, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog.rules import from_document
from service.db.models import ModelRow
from service.pricing.money import canonical
from service.pricing.prices import MORE_PRICES, TokenPrices
from service.pricing.rules import PriceRules
from service.pricing.timeline import PricePeriod

# Each asked (model, instant) is one probe of the exclusion constraint's GiST index, spelled as it is:
# (model_id, tstzrange(valid_from, valid_to, '[)')). Rules come as text, so that equal documents are parsed once.
_PERIODS_AT = text("""
    SELECT asked.model_id, asked.at, p.id, p.valid_from, p.valid_to, p.input_per_mtok, p.output_per_mtok,
           p.cache_read_per_mtok, p.cache_write_per_mtok, p.rules::text AS rules, p.per_request,
           p.audio_input_per_mtok, p.audio_output_per_mtok, p.image_input_per_mtok, p.image_output_per_mtok,
           p.cache_write_1h_per_mtok
    FROM unnest(CAST(:model_ids AS text[]), CAST(:instants AS timestamptz[])) AS asked (model_id, at)
    JOIN prices p ON p.model_id = asked.model_id AND tstzrange(p.valid_from, p.valid_to, '[)') @> asked.at
                     AND p.superseded_at IS NULL""")


async def existing_models(session: AsyncSession, model_ids: Collection[str]) -> set[str]:
    """Those of `model_ids` that are in the catalog (one array parameter, however many ids)."""
    wanted = literal(list(model_ids), ARRAY(Text))
    return set(await session.scalars(select(ModelRow.id).where(ModelRow.id == any_(wanted))))


async def periods_at(
    session: AsyncSession, asked: Sequence[tuple[str, datetime]]
) -> dict[tuple[str, datetime], PricePeriod]:
    """The stored period in force for each asked (model id, instant), where there is one, in one query.

    Plain rows rather than ORM objects and whole timelines: an unchanged re-import of 10,000 models spent most of its
    time building those for the whole catalog (`load_timelines`)."""
    if not asked:
        return {}
    rows = await session.execute(_PERIODS_AT, {"model_ids": [model_id for model_id, _ in asked],
                                               "instants": [at for _, at in asked]})
    rules: dict[str, PriceRules] = {}
    found: dict[tuple[str, datetime], PricePeriod] = {}
    for row in rows:
        if row.rules not in rules:
            rules[row.rules] = from_document(msgspec.json.decode(row.rules))
        found[(row.model_id, row.at)] = PricePeriod(
            id=row.id, valid_from=row.valid_from, valid_to=row.valid_to,
            prices=TokenPrices(
                input_per_mtok=canonical(row.input_per_mtok), output_per_mtok=canonical(row.output_per_mtok),
                cache_read_per_mtok=None if row.cache_read_per_mtok is None else canonical(row.cache_read_per_mtok),
                cache_write_per_mtok=None if row.cache_write_per_mtok is None else canonical(row.cache_write_per_mtok),
                **more_prices(row),
            ),
            rules=rules[row.rules])
    return found


def more_prices(row: Any) -> dict[str, Decimal]:
    """A price row's known prices beyond the four token prices (migration 0016), canonical; usually none."""
    return {name: canonical(value) for name in MORE_PRICES if (value := getattr(row, name)) is not None}
