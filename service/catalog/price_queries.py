"""Queries on price periods and promotions: history that only grows, and the effective price at an instant."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.preconditions import require_match
from service.api.problems import ProblemError, conflict, invalid, not_found
from service.catalog import schemas
from service.catalog.history import (
    changed_promotion,
    continued_price,
    past_is_fixed,
    refuse_past_discount,
    supersede,
    write_time,
)
from service.catalog.list_queries import covers, known
from service.catalog.period_queries import more_prices
from service.catalog.queries import changes_of, get_model, insert_row
from service.catalog.rules import from_document, to_document
from service.catalog.rules import from_request as rules_from_request
from service.db.models import CorrectionRow, ModelRow, PriceRow, PromotionRow
from service.pricing.money import canonical
from service.pricing.prices import MORE_PRICES, TokenPrices
from service.pricing.timeline import CorrectionNote, Discount, EffectivePrice, ModelTimeline, PricePeriod


async def list_prices(
    session: AsyncSession, model_id: str, *, after: int | None, limit: int, known_at: datetime | None = None
) -> list[PriceRow]:
    model_id = (await get_model(session, model_id)).id
    query = (select(PriceRow).where(PriceRow.model_id == model_id, known(PriceRow, known_at))
             .order_by(PriceRow.valid_from, PriceRow.id).limit(limit + 1))
    if after is not None:
        after_from = select(PriceRow.valid_from).where(PriceRow.id == after).scalar_subquery()
        query = query.where(or_(PriceRow.valid_from > after_from,
                                and_(PriceRow.valid_from == after_from, PriceRow.id > after)))
    return list(await session.scalars(query))


async def add_price(session: AsyncSession, model_id: str, data: schemas.PricePeriodCreate) -> PriceRow:
    """Insert a period; one that starts inside the open-ended current period closes it at its start, which may not be
    before now: the open period is superseded and recorded again with that end (docs/history.md). A period in a past
    gap, where the model had no price, is a backfill (docs/security.md, History)."""
    # Writers of one model's prices take turns on the model row; without that, two writers waiting on each
    # other's exclusion-constraint check and open-period lock deadlock. Other models are not held up.
    rules = rules_from_request(data.rules)  # a 422 before any lock is taken
    model_id = (await get_model(session, model_id, for_update=True)).id
    open_period = await session.scalar(
        select(PriceRow).where(PriceRow.model_id == model_id, PriceRow.valid_to.is_(None),
                               PriceRow.superseded_at.is_(None)))
    if open_period is not None and open_period.valid_from < data.valid_from:
        now = await write_time(session)
        if data.valid_from < now:
            raise past_is_fixed(model_id, f"the new period would close price {open_period.id} at "
                                          f"{data.valid_from.isoformat()}, before now ({now.isoformat()})")
        # Not closed in place: what the catalog said about the future until now stays readable with known_at.
        await insert_row(session, continued_price(await supersede(session, open_period), data.valid_from))
    elif open_period is not None and open_period.valid_from == data.valid_from:
        raise conflict(f"price {open_period.id} already starts at {data.valid_from.isoformat()}")
    return await insert_row(session, PriceRow(
        model_id=model_id, valid_from=data.valid_from, valid_to=data.valid_to, currency=data.currency,
        input_per_mtok=data.input_per_mtok, output_per_mtok=data.output_per_mtok,
        cache_read_per_mtok=data.cache_read_per_mtok, cache_write_per_mtok=data.cache_write_per_mtok,
        source=data.source, rules=to_document(rules), **{name: getattr(data, name) for name in MORE_PRICES},
    ))


class OfferingPrice(NamedTuple):
    model_id: str  # the stored id, whichever spelling asked for it
    price: EffectivePrice
    corrections: list[CorrectionRow]  # known then, their stretch covering the instant


async def effective_price(
    session: AsyncSession, model_id: str, at: datetime, known_at: datetime | None = None
) -> OfferingPrice:
    model_id = (await get_model(session, model_id)).id
    price = await session.scalar(select(PriceRow).where(PriceRow.model_id == model_id, covers(PriceRow, at, known_at)))
    promotions = await session.scalars(
        select(PromotionRow).where(PromotionRow.model_id == model_id, covers(PromotionRow, at, known_at))
    )
    effective = ModelTimeline(
        [to_period(price)] if price else [], [to_discount(p) for p in promotions]
    ).price_at(at)
    if effective is None:
        raise ProblemError(404, "no-price-at-instant", "No price at that instant",
                           f"model '{model_id}' has no price at {at.isoformat()}")
    return OfferingPrice(model_id, effective, await corrections_at(session, model_id, at, known_at))


async def corrections_at(
    session: AsyncSession, model_id: str, at: datetime, known_at: datetime | None
) -> list[CorrectionRow]:
    """The model's corrections known at `known_at` (or now) whose stretch covers `at`, oldest first."""
    stretch = func.tstzrange(CorrectionRow.valid_from, CorrectionRow.valid_to, "[)")
    query = select(CorrectionRow).where(CorrectionRow.model_id == model_id, stretch.op("@>")(literal(at)))
    if known_at is not None:
        query = query.where(CorrectionRow.recorded_at <= known_at)
    return list(await session.scalars(query.order_by(CorrectionRow.id)))


async def load_timelines(
    session: AsyncSession, model_ids: Collection[str] | None = None, known_at: datetime | None = None
) -> tuple[list[ModelRow], dict[str, ModelTimeline]]:
    """Every model (or those of `model_ids` that exist), ordered by id, each with its whole history as a pure-core
    timeline: as the catalog says now, or as it said at the record time `known_at`. Rows are streamed in batches, so
    a large catalog's load gives way to the event loop between them."""
    model_query = select(ModelRow).order_by(ModelRow.id)
    price_query = select(PriceRow).where(known(PriceRow, known_at))
    promotion_query = select(PromotionRow).where(known(PromotionRow, known_at))
    correction_query = select(CorrectionRow).order_by(CorrectionRow.id)
    if known_at is not None:
        correction_query = correction_query.where(CorrectionRow.recorded_at <= known_at)
    if model_ids is not None:
        wanted = list(model_ids)
        model_query = model_query.where(ModelRow.id.in_(wanted))
        price_query = price_query.where(PriceRow.model_id.in_(wanted))
        promotion_query = promotion_query.where(PromotionRow.model_id.in_(wanted))
        correction_query = correction_query.where(CorrectionRow.model_id.in_(wanted))
    models = [model async for model in await session.stream_scalars(model_query.execution_options(yield_per=_BATCH))]
    periods: dict[str, list[PricePeriod]] = {m.id: [] for m in models}
    discounts: dict[str, list[Discount]] = {m.id: [] for m in models}
    async for price in await session.stream_scalars(price_query.execution_options(yield_per=_BATCH)):
        periods[price.model_id].append(to_period(price))
    async for promotion in await session.stream_scalars(promotion_query.execution_options(yield_per=_BATCH)):
        discounts[promotion.model_id].append(to_discount(promotion))
    notes: dict[str, list[CorrectionNote]] = {m.id: [] for m in models}
    for correction in await session.scalars(correction_query):  # few: corrections are rare and deliberate
        notes[correction.model_id].append(CorrectionNote(correction.id, correction.reason, correction.valid_from,
                                                         correction.valid_to))
    timelines: dict[str, ModelTimeline] = {}
    for number, model in enumerate(models, start=1):
        timelines[model.id] = ModelTimeline(periods[model.id], discounts[model.id], notes[model.id])
        if number % _BATCH == 0:
            await asyncio.sleep(0)  # building thousands of timelines would otherwise hold the loop for long
    return models, timelines


# Rows per fetch, and timelines built between two turns of the event loop.
_BATCH = 500


def to_period(price: PriceRow) -> PricePeriod:
    # numeric(…, 12) columns read back as 0.140000000000: canonical() drops those zeros once here, or every cost
    # computed from the price would carry them into the formatter (a third of its time, on every estimate).
    return PricePeriod(
        id=price.id, valid_from=price.valid_from, valid_to=price.valid_to,
        prices=TokenPrices(
            input_per_mtok=canonical(price.input_per_mtok), output_per_mtok=canonical(price.output_per_mtok),
            cache_read_per_mtok=_canonical_or_none(price.cache_read_per_mtok),
            cache_write_per_mtok=_canonical_or_none(price.cache_write_per_mtok),
            **more_prices(price),
        ),
        rules=from_document(price.rules),
    )


def _canonical_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else canonical(value)


def to_discount(promotion: PromotionRow) -> Discount:
    return Discount(id=promotion.id, name=promotion.name, percent_off=canonical(promotion.percent_off),
                    valid_from=promotion.valid_from, valid_to=promotion.valid_to)


async def get_promotion(session: AsyncSession, promotion_id: int, *, for_update: bool = False) -> PromotionRow:
    """A promotion the catalog says now. A superseded one is gone: a 404 that names its replacement, if any."""
    promotion = await session.get(PromotionRow, promotion_id, with_for_update=for_update or None)
    if promotion is None:
        raise not_found("promotion", promotion_id)
    if promotion.superseded_at is not None:
        raise await _superseded(session, promotion)
    return promotion


async def _superseded(session: AsyncSession, promotion: PromotionRow) -> ProblemError:
    assert promotion.superseded_at is not None  # only superseded promotions come here
    replacement = await session.scalar(select(PromotionRow.id).where(PromotionRow.replaces == promotion.id))
    if replacement is None and promotion.superseded_by is not None:
        how = f"was corrected (correction {promotion.superseded_by}): list the model's promotions"
    elif replacement is None:
        how = "was deleted"
    else:
        how = f"was changed: it is now promotion {replacement}"
    return ProblemError(404, "not-found", "Not found",
                        f"promotion '{promotion.id}' {how} (at {promotion.superseded_at.isoformat()})")


async def create_promotion(session: AsyncSession, data: schemas.PromotionCreate) -> PromotionRow:
    try:
        model_id = (await get_model(session, data.model)).id
    except ProblemError as exc:
        if exc.problem.status != 404:
            raise  # offering-required: the client must name one of the offerings, as everywhere
        raise invalid("model", f"model '{data.model}' does not exist: create it first") from None
    await refuse_past_discount(session, model_id, data.valid_from, data.valid_to, await write_time(session))
    return await insert_row(session, PromotionRow(
        model_id=model_id, name=data.name, percent_off=data.percent_off, valid_from=data.valid_from,
        valid_to=data.valid_to, source=data.source,
    ))


async def update_promotion(
    session: AsyncSession, promotion_id: int, data: schemas.PromotionUpdate, if_match: str | None = None
) -> PromotionRow:
    promotion = await get_promotion(session, promotion_id, for_update=True)
    require_match(promotion, if_match)
    changes = changes_of(data)
    valid_from = changes.get("valid_from", promotion.valid_from)
    valid_to = changes.get("valid_to", promotion.valid_to)
    if valid_to is not None and valid_to <= valid_from:
        raise invalid("valid_to", "valid_to must be later than valid_from: periods are half-open")
    await _refuse_past_change(session, promotion, changes, valid_from, valid_to)
    if all(value == getattr(promotion, name) for name, value in changes.items()):
        return promotion  # nothing to record
    # Not changed in place: superseded, and recorded again as changed (a new id), so known_at before now still
    # reads what the catalog said about the future then.
    return await insert_row(session, changed_promotion(await supersede(session, promotion), changes))


async def delete_promotion(session: AsyncSession, promotion_id: int, if_match: str | None = None) -> None:
    promotion = await get_promotion(session, promotion_id, for_update=True)
    require_match(promotion, if_match)
    now = await write_time(session)
    if promotion.valid_from < now:
        raise past_is_fixed(promotion.model_id, f"promotion {promotion.id} started at "
                                                f"{promotion.valid_from.isoformat()}: it cannot be deleted")
    await supersede(session, promotion, withdrawn=True)  # never deleted: known_at before now still reads it


async def _refuse_past_change(
    session: AsyncSession, promotion: PromotionRow, changes: dict, valid_from: datetime, valid_to: datetime | None
) -> None:
    """A promotion that has started keeps what it says before now: only its end may move, to now or later (and its
    source be corrected, which prices nothing). One that has not may move, but into the past only as a backfill."""
    now = await write_time(session)
    if promotion.valid_from >= now:
        await refuse_past_discount(session, promotion.model_id, valid_from, valid_to, now)
        return
    changed = {name for name, value in changes.items() if value != getattr(promotion, name)}
    ends = [end for end in (promotion.valid_to, valid_to) if end is not None]
    if changed - {"valid_to", "source"} or ("valid_to" in changed and min(ends) < now):
        raise past_is_fixed(promotion.model_id, (
            f"promotion {promotion.id} started at {promotion.valid_from.isoformat()}: only its end can change, to now "
            f"({now.isoformat()}) or later"))
