"""Queries on aliases: other names of an offering, each over a period whose history only grows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import ProblemError, conflict, invalid, not_found
from service.catalog import alias_schemas
from service.catalog.queries import get_model, insert_row
from service.db.models import AliasRow, ModelRow


async def create_alias(session: AsyncSession, data: alias_schemas.AliasCreate) -> AliasRow:
    try:
        model = await get_model(session, data.model)
    except ProblemError as exc:
        if exc.problem.status != 404:
            raise  # offering-required: an alias names one offering, so the client must choose
        raise invalid("model", f"model '{data.model}' does not exist: create it first") from None
    if await session.get(ModelRow, data.alias) is not None:
        # A stored id always resolves to itself first: such an alias could never be used.
        raise invalid("alias", f"'{data.alias}' is an offering's own id, so it cannot be another's alias")
    valid_from = data.valid_from if data.valid_from is not None else await _transaction_time(session)
    if data.valid_to is not None and data.valid_to <= valid_from:
        raise invalid("valid_to", "valid_to must be later than valid_from (now, when it is not given)")
    return await insert_row(session, AliasRow(
        alias=data.alias, model_id=model.id, valid_from=valid_from, valid_to=data.valid_to, source=data.source))


async def _transaction_time(session: AsyncSession) -> datetime:
    now: datetime = (await session.execute(select(func.now()))).scalar_one()
    return now


async def get_alias(session: AsyncSession, alias_id: int, *, for_update: bool = False) -> AliasRow:
    row = await session.get(AliasRow, alias_id, with_for_update=for_update or None)
    if row is None:
        raise not_found("alias", alias_id)
    return row


async def close_alias(session: AsyncSession, alias_id: int, data: alias_schemas.AliasClose) -> AliasRow:
    row = await get_alias(session, alias_id, for_update=True)
    if row.valid_to is not None:
        raise conflict(f"alias {alias_id} already ended at {row.valid_to.isoformat()}: its history only grows")
    if data.valid_to <= row.valid_from:
        raise invalid("valid_to", f"valid_to must be later than the alias's valid_from, {row.valid_from.isoformat()}")
    row.valid_to = data.valid_to
    await session.flush()
    return row


async def list_aliases(
    session: AsyncSession, *, alias: str | None, model: str | None, after: int | None, limit: int
) -> list[AliasRow]:
    query = select(AliasRow).order_by(AliasRow.id).limit(limit + 1)
    if alias is not None:
        query = query.where(AliasRow.alias == alias)
    if model is not None:
        query = query.where(AliasRow.model_id == model)
    if after is not None:
        query = query.where(AliasRow.id > after)
    return list(await session.scalars(query))


async def load_aliases(session: AsyncSession, model_ids: Collection[str] | None = None) -> list[AliasRow]:
    """Every alias (or those of `model_ids`), for the snapshot."""
    query = select(AliasRow).order_by(AliasRow.id)
    if model_ids is not None:
        query = query.where(AliasRow.model_id.in_(list(model_ids)))
    return list(await session.scalars(query))
