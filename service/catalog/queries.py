"""Queries on providers and models. They flush when they need the database's answer and never commit."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from msgspec import UNSET, structs
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.preconditions import require_match
from service.api.problems import ambiguous_alias, invalid, not_found, offering_required
from service.api.structs import ALIAS_PATTERN, MODEL_ID_PATTERN, SLUG_PATTERN
from service.catalog import schemas
from service.db.models import AliasRow, ModelRow, ProviderRow

SLUG = re.compile(SLUG_PATTERN)
MODEL_ID = re.compile(MODEL_ID_PATTERN)
ALIAS = re.compile(ALIAS_PATTERN)
# Model parts that cannot be reached as the second segment of an offering's URL path: /v1/models/{p}/price is
# the price of model p, so an offering p/price could never be read. They are refused when an offering is made.
RESERVED_MODEL_PARTS = frozenset({"price", "prices", "offerings", "corrections"})
RowT = TypeVar("RowT")


async def get_provider(session: AsyncSession, provider_id: str, *, for_update: bool = False) -> ProviderRow:
    if not SLUG.match(provider_id):
        raise not_found("provider", provider_id[:100])  # no such id can exist: spare the database
    provider = await session.get(ProviderRow, provider_id, with_for_update=for_update or None)
    if provider is None:
        raise not_found("provider", provider_id)
    return provider


async def insert_row(session: AsyncSession, row: RowT) -> RowT:
    """Insert now, and read back what the database filled in (ids, defaults, timestamps)."""
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def create_provider(session: AsyncSession, data: schemas.ProviderCreate) -> ProviderRow:
    return await insert_row(session, ProviderRow(id=data.id, name=data.name))


async def update_provider(
    session: AsyncSession, provider_id: str, data: schemas.ProviderUpdate, if_match: str | None = None
) -> ProviderRow:
    provider = await get_provider(session, provider_id, for_update=True)
    require_match(provider, if_match)
    await apply_changes(session, provider, changes_of(data))
    return provider


async def delete_provider(session: AsyncSession, provider_id: str, if_match: str | None = None) -> None:
    provider = await get_provider(session, provider_id, for_update=True)
    require_match(provider, if_match)
    await session.delete(provider)
    await session.flush()


async def get_model(session: AsyncSession, model_id: str, *, for_update: bool = False) -> ModelRow:
    """The offering that `model_id` names: its stored id, `maker/model` for a maker's bare one, or an alias in
    force now. A bare id that only other providers sell, or an alias of several offerings, is a 409 listing them
    (docs/offerings.md), never a pick.
    """
    if not ALIAS.match(model_id):
        raise not_found("model", model_id[:100])  # no such id or alias can exist: spare the database
    # FOR NO KEY UPDATE: it still lets other transactions reference the model (foreign-key checks).
    lock = {"key_share": True} if for_update else None
    model = await session.get(ModelRow, model_id, with_for_update=lock) if MODEL_ID.match(model_id) else None
    if model is not None:
        return model
    provider, _, part = model_id.rpartition("/")
    if provider:
        query = select(ModelRow).where(ModelRow.model == part, ModelRow.provider_id == provider)
        found = await session.scalar(query.with_for_update(key_share=True) if for_update else query)
        if found is not None:
            return found
    named = await _aliased(session, model_id)
    if len(named) == 1:
        return await get_model(session, named[0], for_update=for_update)
    if named:
        raise ambiguous_alias(model_id, named)
    offerings = [] if provider else await offerings_of(session, model_id)
    if offerings:
        raise offering_required(model_id, offerings)
    raise not_found("model", model_id)


async def _aliased(session: AsyncSession, name: str) -> list[str]:
    """The offerings that the alias `name` names now (docs/offerings.md, Aliases)."""
    now = func.now()
    return list(await session.scalars(
        select(AliasRow.model_id).distinct().where(
            AliasRow.alias == name, AliasRow.valid_from <= now,
            or_(AliasRow.valid_to.is_(None), AliasRow.valid_to > now)).order_by(AliasRow.model_id)))


async def offerings_of(session: AsyncSession, model: str) -> list[str]:
    """The ids of every offering of `model`, in id order (the unique index on (model, provider_id) finds them)."""
    return list(await session.scalars(select(ModelRow.id).where(ModelRow.model == model).order_by(ModelRow.id)))


async def create_model(session: AsyncSession, data: schemas.ModelCreate) -> ModelRow:
    _require_offering_of(data.id, data.provider)
    await _require_provider(session, data.provider)
    return await insert_row(session, ModelRow(
        id=data.id, provider_id=data.provider, name=data.name, open_weights=data.open_weights,
        context_window=data.context_window, released_on=data.released_on,
    ))


async def update_model(
    session: AsyncSession, model_id: str, data: schemas.ModelUpdate, if_match: str | None = None
) -> ModelRow:
    model = await get_model(session, model_id, for_update=True)
    require_match(model, if_match)
    changes = changes_of(data)
    if "provider" in changes:
        _require_offering_of(model.id, changes["provider"])
        await _require_provider(session, changes["provider"])
        changes["provider_id"] = changes.pop("provider")
    await apply_changes(session, model, changes)
    return model


async def delete_model(session: AsyncSession, model_id: str, if_match: str | None = None) -> None:
    model = await get_model(session, model_id, for_update=True)
    require_match(model, if_match)
    await session.delete(model)
    await session.flush()


def _require_offering_of(model_id: str, provider_id: str) -> None:
    """`provider/model` is sold by that provider: the id and the provider must agree (the database checks it too,
    but a 422 that says what to fix beats a 409)."""
    prefix, _, part = model_id.rpartition("/")
    if prefix and prefix != provider_id:
        raise invalid("provider", f"the offering '{model_id}' is sold by '{prefix}', not '{provider_id}'")
    if prefix and part in RESERVED_MODEL_PARTS:
        raise invalid("id", f"an offering's model part cannot be '{part}': its URL would name another route")


async def _require_provider(session: AsyncSession, provider_id: str) -> None:
    if await session.get(ProviderRow, provider_id) is None:
        raise invalid("provider", f"provider '{provider_id}' does not exist: create it first")


def changes_of(data: Any) -> dict[str, Any]:
    return {name: value for name, value in structs.asdict(data).items() if value is not UNSET}


async def apply_changes(session: AsyncSession, row: Any, changes: dict[str, Any]) -> None:
    if not changes:
        return
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = func.clock_timestamp()  # not now(): two changes in one transaction differ, and so do ETags
    await session.flush()
    await session.refresh(row)
