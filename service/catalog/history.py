"""The rule that ordinary writes only change the future (docs/security.md, History), on the database's clock.

The time of a write is its transaction's `now()`, not the process's clock: the triggers of migration 0018 keep the
same rule with the same instant, so the two never disagree, and a test can write exactly at it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import ProblemError
from service.db.models import PriceRow, PromotionRow
from service.pricing.prices import MORE_PRICES

RowT = TypeVar("RowT", PriceRow, PromotionRow)


async def write_time(session: AsyncSession) -> datetime:
    """The instant of this write: the transaction's start, as PostgreSQL reads it."""
    now = await session.scalar(select(func.now()))
    assert now is not None  # now() is never null
    return now


def past_is_fixed(model_id: str, what: str) -> ProblemError:
    url = f"/v1/models/{model_id}/corrections"
    error = ProblemError(409, "history-is-fixed", "The past cannot be changed", (
        f"{what}: that would change a price already in force at a past instant, and ordinary writes only change "
        f"the future; correct the past with POST {url}"))
    error.problem.corrections_url = url
    return error


async def priced_between(session: AsyncSession, model_id: str, start: datetime, end: datetime) -> bool:
    """Whether the model has a price at any instant of [start, end)."""
    overlaps = func.tstzrange(PriceRow.valid_from, PriceRow.valid_to, "[)").op("&&")(
        func.tstzrange(literal(start), literal(end), "[)"))
    return bool(await session.scalar(select(exists().where(
        PriceRow.model_id == model_id, PriceRow.superseded_at.is_(None), overlaps))))


async def refuse_past_discount(
    session: AsyncSession, model_id: str, valid_from: datetime, valid_to: datetime | None, now: datetime
) -> None:
    """A promotion's part before now may only lie where the model had no price at all: then it is a backfill, and no
    answer already given changes."""
    if valid_from >= now:
        return
    end = now if valid_to is None else min(valid_to, now)
    if await priced_between(session, model_id, valid_from, end):
        raise past_is_fixed(model_id, f"the promotion would start at {valid_from.isoformat()}, before now "
                                      f"({now.isoformat()}), where model '{model_id}' had a price")


async def supersede(session: AsyncSession, row: RowT, *, withdrawn: bool = False) -> RowT:
    """Supersede `row` at the time of the write: the one change the database lets a stored row have (migration
    0019). Its replacement, if any, is inserted next and names it (`replaces`); a promotion gone for good is
    `withdrawn`, and the change log calls that a delete."""
    table = type(row)
    values: dict[str, Any] = {"superseded_at": func.now()}
    if withdrawn:
        values["withdrawn"] = True
    await session.execute(update(table).where(table.id == row.id).values(**values))
    await session.refresh(row)
    return row


def continued_price(row: PriceRow, valid_to: datetime | None) -> PriceRow:
    """A superseded period again, with another end: the same price from the same start."""
    return PriceRow(model_id=row.model_id, valid_from=row.valid_from, valid_to=valid_to, currency=row.currency,
                    input_per_mtok=row.input_per_mtok, output_per_mtok=row.output_per_mtok,
                    cache_read_per_mtok=row.cache_read_per_mtok, cache_write_per_mtok=row.cache_write_per_mtok,
                    source=row.source, rules=row.rules, replaces=row.id,
                    **{name: getattr(row, name) for name in MORE_PRICES})


def changed_promotion(row: PromotionRow, changes: dict[str, Any]) -> PromotionRow:
    """A superseded promotion again, with `changes`: created when it was, changed now (its ETag changes)."""
    fields = {name: getattr(row, name) for name in ("model_id", "name", "percent_off", "valid_from", "valid_to",
                                                    "source")}
    return PromotionRow(**{**fields, **changes}, created_at=row.created_at, updated_at=func.clock_timestamp(),
                        replaces=row.id)
