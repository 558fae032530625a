"""The catalog's lists as keyset pages in id order, each filter written so that an index finds the page.

Each `*_query` builds the statement and runs nothing, so tests can EXPLAIN exactly what the routes run. Which
index serves which filter is in the migration that made them (0007).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import TIMESTAMPTZ, ModelRow, PriceRow, PromotionRow, ProviderRow


class ProviderFilters(NamedTuple):
    priced_at: datetime | None = None


class ModelFilters(NamedTuple):
    provider: str | None = None
    q: str | None = None
    priced_at: datetime | None = None


class PromotionFilters(NamedTuple):
    model: str | None = None
    provider: str | None = None
    q: str | None = None
    active_at: datetime | None = None
    known_at: datetime | None = None  # as the catalog said at this record time (docs/history.md); None: now


def covers(
    table: type[PriceRow] | type[PromotionRow], at: datetime, known_at: datetime | None = None
) -> ColumnElement[bool]:
    """A row known now (or at `known_at`) whose period covers `at`."""
    # Spelled exactly as the exclusion constraint's GiST index is, (model_id, tstzrange(valid_from, valid_to,
    # '[)'), …), so the planner can use it: the bound '[)' must be a literal, not a parameter.
    period = func.tstzrange(table.valid_from, table.valid_to, literal_column("'[)'"))
    return and_(period.op("@>")(literal(at, TIMESTAMPTZ)), known(table, known_at))


def known(table: type[PriceRow] | type[PromotionRow], known_at: datetime | None) -> ColumnElement[bool]:
    """The rows the catalog said at record time `known_at`; without it, now (those no correction superseded)."""
    if known_at is None:
        return table.superseded_at.is_(None)
    at = literal(known_at, TIMESTAMPTZ)
    return and_(table.recorded_at <= at, or_(table.superseded_at.is_(None), table.superseded_at > at))


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive `text` anywhere in `column`, its LIKE wildcards taken literally (a trigram index serves it)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%")  # type: ignore[no-any-return]


def _priced_at(model_id: Any, at: datetime) -> ColumnElement[bool]:
    return exists().where(PriceRow.model_id == model_id, covers(PriceRow, at))


def providers_query(filters: ProviderFilters, *, after: str | None, limit: int) -> Select[ProviderRow]:
    query = select(ProviderRow).order_by(ProviderRow.id).limit(limit + 1)
    if after is not None:
        query = query.where(ProviderRow.id > after)
    if filters.priced_at is not None:
        # Stops at the provider's first model priced then: (provider_id, id), then one GiST probe a model.
        query = query.where(exists().where(ModelRow.provider_id == ProviderRow.id,
                                           _priced_at(ModelRow.id, filters.priced_at)))
    return query


def models_query(filters: ModelFilters, *, after: str | None, limit: int) -> Select[ModelRow]:
    query = select(ModelRow).order_by(ModelRow.id).limit(limit + 1)
    if after is not None:
        query = query.where(ModelRow.id > after)
    if filters.provider is not None:
        query = query.where(ModelRow.provider_id == filters.provider)
    if filters.q:
        query = query.where(or_(_contains(ModelRow.id, filters.q), _contains(ModelRow.name, filters.q)))
    if filters.priced_at is not None:
        query = query.where(_priced_at(ModelRow.id, filters.priced_at))
    return query


def promotions_query(filters: PromotionFilters, *, after: int | None, limit: int) -> Select[PromotionRow]:
    query = select(PromotionRow).where(known(PromotionRow, filters.known_at)).order_by(PromotionRow.id).limit(limit + 1)
    if after is not None:
        query = query.where(PromotionRow.id > after)
    if filters.model is not None:
        query = query.where(PromotionRow.model_id == filters.model)
    if filters.provider is not None:
        query = query.where(PromotionRow.model_id.in_(
            select(ModelRow.id).where(ModelRow.provider_id == filters.provider)))
    if filters.q:
        query = query.where(or_(_contains(PromotionRow.name, filters.q), _contains(PromotionRow.model_id, filters.q)))
    if filters.active_at is not None:
        query = query.where(covers(PromotionRow, filters.active_at, filters.known_at))
    return query


# asyncpg prepares each statement, and after five runs PostgreSQL may keep one generic plan for it, made without
# the values: one plan for a rare word and for text in every name, for an instant no model is priced at and for one
# every model is. Planned for its values, each filtered page keeps the plan that reads in proportion to it.
_PLAN_FOR_THE_VALUES = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def _rows(session: AsyncSession, query: Select[Any], filters: tuple[Any, ...]) -> list[Any]:
    if any(value is not None for value in filters):
        await session.execute(_PLAN_FOR_THE_VALUES)
    return list(await session.scalars(query))


async def list_providers(
    session: AsyncSession, filters: ProviderFilters, *, after: str | None, limit: int
) -> list[ProviderRow]:
    return await _rows(session, providers_query(filters, after=after, limit=limit), filters)


async def list_models(session: AsyncSession, filters: ModelFilters, *, after: str | None, limit: int) -> list[ModelRow]:
    return await _rows(session, models_query(filters, after=after, limit=limit), filters)


async def list_promotions(
    session: AsyncSession, filters: PromotionFilters, *, after: int | None, limit: int
) -> list[PromotionRow]:
    return await _rows(session, promotions_query(filters, after=after, limit=limit), filters)
