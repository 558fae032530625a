"""Queries on project assumptions: versions of (kind, key) over periods whose history only grows."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import conflict, invalid, not_found
from service.catalog import assumption_schemas as wire
from service.catalog.queries import insert_row
from service.db.models import AssumptionRow


def kind_of(figures: wire.Figures) -> str:
    return str(type(figures).__struct_config__.tag)


async def add_assumption(session: AsyncSession, data: wire.AssumptionCreate) -> AssumptionRow:
    """Insert the next version of (kind, key); an open version that starts earlier is closed where this starts."""
    kind = kind_of(data.figures)
    # Writers of one (kind, key) take turns, so that versions count up without gaps or collisions; others are
    # not held up. The exclusion constraint still refuses any overlap.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('assumption:' || :kind || ':' || :key))"),
                          {"kind": kind, "key": data.key})
    valid_from = data.valid_from if data.valid_from is not None else await _transaction_time(session)
    if data.valid_to is not None and data.valid_to <= valid_from:
        raise invalid("valid_to", "valid_to must be later than valid_from (now, when it is not given)")
    of_key = (AssumptionRow.kind == kind, AssumptionRow.key == data.key)
    open_row = await session.scalar(select(AssumptionRow).where(*of_key, AssumptionRow.valid_to.is_(None)))
    if open_row is not None and open_row.valid_from < valid_from:
        await session.execute(update(AssumptionRow).where(AssumptionRow.id == open_row.id)
                              .values(valid_to=valid_from))
    elif open_row is not None and open_row.valid_from == valid_from:
        raise conflict(f"assumption {open_row.id} already starts at {valid_from.isoformat()}")
    version = (await session.scalar(select(func.max(AssumptionRow.version)).where(*of_key)) or 0) + 1
    return await insert_row(session, AssumptionRow(
        kind=kind, key=data.key, version=version, figures=msgspec.to_builtins(data.figures), assumed=data.assumed,
        source=data.source, valid_from=valid_from, valid_to=data.valid_to))


async def _transaction_time(session: AsyncSession) -> datetime:
    now: datetime = (await session.execute(select(func.now()))).scalar_one()
    return now


async def get_assumption(session: AsyncSession, assumption_id: int, *, for_update: bool = False) -> AssumptionRow:
    row = await session.get(AssumptionRow, assumption_id, with_for_update=for_update or None)
    if row is None:
        raise not_found("assumption", assumption_id)
    return row


async def close_assumption(session: AsyncSession, assumption_id: int, data: wire.AssumptionClose) -> AssumptionRow:
    row = await get_assumption(session, assumption_id, for_update=True)
    if row.valid_to is not None:
        raise conflict(f"assumption {assumption_id} already ended at {row.valid_to.isoformat()}: "
                       "its history only grows")
    if data.valid_to <= row.valid_from:
        raise invalid("valid_to", f"valid_to must be later than the version's valid_from, "
                                  f"{row.valid_from.isoformat()}")
    row.valid_to = data.valid_to
    await session.flush()
    return row


async def list_assumptions(session: AsyncSession, *, kind: str | None, key: str | None, at: datetime | None,
                           after: int | None, limit: int) -> list[AssumptionRow]:
    query = select(AssumptionRow).order_by(AssumptionRow.id).limit(limit + 1)
    if kind is not None:
        query = query.where(AssumptionRow.kind == kind)
    if key is not None:
        query = query.where(AssumptionRow.key == key)
    if at is not None:
        query = query.where(*_in_force(at))
    if after is not None:
        query = query.where(AssumptionRow.id > after)
    return list(await session.scalars(query))


def _in_force(at: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (AssumptionRow.valid_from <= at, (AssumptionRow.valid_to.is_(None)) | (AssumptionRow.valid_to > at))


def to_out(row: AssumptionRow) -> wire.AssumptionOut:
    figures = msgspec.convert({**row.figures, "kind": row.kind}, wire.Figures)  # type: ignore[arg-type]
    return wire.AssumptionOut(
        id=row.id, kind=row.kind, key=row.key, version=row.version, figures=figures,  # type: ignore[arg-type]
        assumed=row.assumed, source=row.source, valid_from=row.valid_from, valid_to=row.valid_to,
        recorded_at=row.recorded_at)
