"""Corrections: the one audited write that may change the past (issue 18). It supersedes the rows that say
something about a stretch of valid time and records, at one instant, what the catalog says there instead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, TypeVar

import msgspec
from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import not_found
from service.catalog import schemas
from service.catalog.correction_schemas import CorrectedPromotion, CorrectionCreate
from service.catalog.queries import get_model
from service.catalog.rules import from_request as rules_from_request
from service.catalog.rules import to_document
from service.db.models import CorrectionRow, PriceRow, PromotionRow
from service.pricing.prices import MORE_PRICES

RowT = TypeVar("RowT", PriceRow, PromotionRow)


class Corrected(NamedTuple):
    correction: CorrectionRow
    old_prices: list[PriceRow]
    new_prices: list[PriceRow]
    old_promotions: list[PromotionRow]
    new_promotions: list[PromotionRow]

    @property
    def id(self) -> int:  # what a page's cursor is made of
        return self.correction.id


async def correct(session: AsyncSession, model_id: str, data: CorrectionCreate, key_id: int | None) -> Corrected:
    rules = [rules_from_request(price.rules) for price in data.prices or []]  # a 422 before any lock is taken
    model_id = (await get_model(session, model_id, for_update=True)).id
    # First: the promotions trigger lets a promotion lie over a priced past only beside this transaction's correction.
    correction = CorrectionRow(model_id=model_id, reason=data.reason, key_id=key_id, valid_from=data.valid_from,
                               valid_to=data.valid_to)
    session.add(correction)
    await session.flush()
    old_prices: list[PriceRow] = []
    new_prices: list[PriceRow] = []
    if data.prices is not None:
        old_prices = await _supersede(session, PriceRow, correction)
        new_prices = [_kept_price(row, start, end, correction.id) for row in old_prices
                      for start, end in _outside(row, correction)]
        new_prices += [_new_price(price, rule, model_id, correction.id)
                       for price, rule in zip(data.prices, rules, strict=True)]
    old_promotions: list[PromotionRow] = []
    new_promotions: list[PromotionRow] = []
    if data.promotions is not None:
        old_promotions = await _supersede(session, PromotionRow, correction)
        new_promotions = [_kept_promotion(row, start, end, correction.id) for row in old_promotions
                          for start, end in _outside(row, correction)]
        new_promotions += [_new_promotion(p, model_id, correction.id) for p in data.promotions]
    session.add_all([*new_prices, *new_promotions])
    await session.flush()
    for row in [correction, *old_prices, *old_promotions, *new_prices, *new_promotions]:
        await session.refresh(row)
    return Corrected(correction, old_prices, _by_start(new_prices), old_promotions, _by_start(new_promotions))


async def _supersede(session: AsyncSession, table: type[RowT], correction: CorrectionRow) -> list[RowT]:
    """The current rows whose periods meet the stretch, superseded by `correction` at the time of the write."""
    stretch = func.tstzrange(literal(correction.valid_from), literal(correction.valid_to), "[)")
    period = func.tstzrange(table.valid_from, table.valid_to, "[)")
    rows = list(await session.scalars(
        update(table).where(table.model_id == correction.model_id, table.superseded_at.is_(None),
                            period.op("&&")(stretch))
        .values(superseded_at=func.now(), superseded_by=correction.id).returning(table)))
    return _by_start(rows)


def _by_start(rows: Sequence[RowT]) -> list[RowT]:
    return sorted(rows, key=lambda row: (row.valid_from, row.id or 0))


def _outside(row: PriceRow | PromotionRow, correction: CorrectionRow) -> list[tuple[datetime, datetime | None]]:
    """The parts of a superseded row's period outside the stretch: they stay as they were."""
    parts: list[tuple[datetime, datetime | None]] = []
    if row.valid_from < correction.valid_from:
        parts.append((row.valid_from, correction.valid_from))
    if correction.valid_to is not None and (row.valid_to is None or row.valid_to > correction.valid_to):
        parts.append((correction.valid_to, row.valid_to))
    return parts


def _kept_price(row: PriceRow, start: datetime, end: datetime | None, correction_id: int) -> PriceRow:
    return PriceRow(model_id=row.model_id, valid_from=start, valid_to=end, currency=row.currency,
                    input_per_mtok=row.input_per_mtok, output_per_mtok=row.output_per_mtok,
                    cache_read_per_mtok=row.cache_read_per_mtok, cache_write_per_mtok=row.cache_write_per_mtok,
                    source=row.source, rules=row.rules, correction_id=correction_id,
                    **{name: getattr(row, name) for name in MORE_PRICES})


def _new_price(data: schemas.PricePeriodCreate, rules: object, model_id: str, correction_id: int) -> PriceRow:
    return PriceRow(model_id=model_id, valid_from=data.valid_from, valid_to=data.valid_to, currency=data.currency,
                    input_per_mtok=data.input_per_mtok, output_per_mtok=data.output_per_mtok,
                    cache_read_per_mtok=data.cache_read_per_mtok, cache_write_per_mtok=data.cache_write_per_mtok,
                    source=data.source, rules=to_document(rules),  # type: ignore[arg-type]
                    correction_id=correction_id, **{name: getattr(data, name) for name in MORE_PRICES})


def _kept_promotion(row: PromotionRow, start: datetime, end: datetime | None, correction_id: int) -> PromotionRow:
    return PromotionRow(model_id=row.model_id, name=row.name, percent_off=row.percent_off, valid_from=start,
                        valid_to=end, source=row.source, correction_id=correction_id)


def _new_promotion(data: CorrectedPromotion, model_id: str, correction_id: int) -> PromotionRow:
    return PromotionRow(model_id=model_id, correction_id=correction_id, **msgspec.structs.asdict(data))


async def get_correction(session: AsyncSession, correction_id: int) -> Corrected:
    correction = await session.get(CorrectionRow, correction_id)
    if correction is None:
        raise not_found("correction", correction_id)
    return (await _with_rows(session, [correction]))[0]


async def list_corrections(
    session: AsyncSession, *, model: str | None, since: datetime | None, until: datetime | None, after: int | None,
    limit: int, known_at: datetime | None = None,
) -> list[Corrected]:
    query = select(CorrectionRow).order_by(CorrectionRow.id).limit(limit + 1)
    if known_at is not None:
        query = query.where(CorrectionRow.recorded_at <= known_at)
    if model is not None:
        query = query.where(CorrectionRow.model_id == (await get_model(session, model)).id)
    if since is not None:
        query = query.where(CorrectionRow.recorded_at >= since)
    if until is not None:
        query = query.where(CorrectionRow.recorded_at < until)
    if after is not None:
        query = query.where(CorrectionRow.id > after)
    return await _with_rows(session, list(await session.scalars(query)))


async def _with_rows(session: AsyncSession, corrections: list[CorrectionRow]) -> list[Corrected]:
    """Each correction with its superseded and recorded rows, read in two queries for the whole page."""
    ids = [correction.id for correction in corrections]
    prices = list(await session.scalars(select(PriceRow).where(
        or_(PriceRow.superseded_by.in_(ids), PriceRow.correction_id.in_(ids)))))
    promotions = list(await session.scalars(select(PromotionRow).where(
        or_(PromotionRow.superseded_by.in_(ids), PromotionRow.correction_id.in_(ids)))))
    return [Corrected(
        c, _by_start([p for p in prices if p.superseded_by == c.id]),
        _by_start([p for p in prices if p.correction_id == c.id]),
        _by_start([p for p in promotions if p.superseded_by == c.id]),
        _by_start([p for p in promotions if p.correction_id == c.id]),
    ) for c in corrections]


