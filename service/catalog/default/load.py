"""Loading the default catalog's data file into the database: all of it into an empty catalog, in bulk; into a
catalog that holds an older file (or the seed alone, or anything written since), only what the file adds or
changes, without rewriting history; and nothing at all when the last load was of this same file.

- An offering the database lacks is inserted with its whole history, in bulk (one COPY per table).
- A stored offering whose price differs from the file's gets a new period from the moment of the load (or from the
  file's own later date), through the same query as `POST /v1/models/{id}/prices` (the open period is closed
  there): what the database answered for instants before the load stays what it answers. A period the stored
  history cannot take (it would overlap) is refused and reported, never forced. A price that is the same is left
  alone, so loading a file twice changes nothing.
- A promotion still to come that the database lacks (same offering, name and start) is added; stored promotions
  are left alone. So is an alias (another spelling of an offering in the file's sources) the database lacks.
- Names, context windows and providers already stored are left as they are: the database, not the file, is
  where they are edited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import ProblemError
from service.catalog import price_queries, schemas
from service.catalog.default.document import (
    DefaultCatalog,
    OfferingDoc,
    PriceDoc,
    PromotionDoc,
    decode,
    packaged_bytes,
)
from service.catalog.history import write_time
from service.catalog.rules import FLAT_DOCUMENT, from_document
from service.db.models import AliasRow, CatalogLoadRow, ModelRow, PriceRow, PromotionRow, ProviderRow
from service.pricing.prices import MORE_PRICES, TokenPrices
from service.pricing.timeline import ModelTimeline

# Two processes starting on one database (replicas of a deployment) load the file one after the other.
_LOCK = 0x5052_4943_4531  # "PRICE1", any constant that no other advisory lock of this service uses
_JSON = msgspec.json.Encoder()


@dataclass(slots=True)
class LoadOutcome:
    loaded: bool  # False: the database already holds this file, nothing was read
    offerings_added: int = 0
    prices_added: int = 0
    unchanged: int = 0
    aliases_added: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.loaded:
            return "default catalog already loaded: nothing to do"
        text = (f"default catalog loaded: {self.offerings_added} offerings, {self.prices_added} price periods and "
                f"{self.aliases_added} aliases added, {self.unchanged} prices unchanged")
        return text + (f", {len(self.refused)} refused" if self.refused else "")


def fingerprint(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


async def load_default_catalog(
    session: AsyncSession, raw: bytes | None = None, now: datetime | None = None
) -> LoadOutcome:
    """Load the packaged data file (or `raw`, a data file's bytes) unless it is the one loaded last."""
    raw = packaged_bytes() if raw is None else raw
    digest = fingerprint(raw)
    await session.execute(select(func.pg_advisory_xact_lock(_LOCK)))
    last = await session.scalar(select(CatalogLoadRow.fingerprint).order_by(CatalogLoadRow.id.desc()).limit(1))
    if last == digest:
        return LoadOutcome(loaded=False)
    catalog = decode(raw)
    # Never before the time of the write on the database's clock, whatever this process's clock says: a stored
    # offering's changed price closes its open period there, and closing it earlier would change the past.
    outcome = await _apply(session, catalog, max(now or datetime.now(UTC), await write_time(session)))
    session.add(CatalogLoadRow(fingerprint=digest, as_of=catalog.as_of, offerings_added=outcome.offerings_added,
                               prices_added=outcome.prices_added))
    await session.flush()
    return outcome


async def _apply(session: AsyncSession, catalog: DefaultCatalog, now: datetime) -> LoadOutcome:
    outcome = LoadOutcome(loaded=True)
    providers = set(await session.scalars(select(ProviderRow.id)))
    # An empty catalog (the first start) skips reading a history it does not have.
    _, timelines = await price_queries.load_timelines(session) if providers else ([], {})
    offered = {tuple(row) for row in await session.execute(
        select(ModelRow.provider_id, ModelRow.model))} if providers else set()
    stored_promotions = {tuple(row) for row in await session.execute(
        select(PromotionRow.model_id, PromotionRow.name, PromotionRow.valid_from).where(
            PromotionRow.superseded_at.is_(None)))} if providers else set()
    models: list[dict] = []
    prices: list[dict] = []
    promotions: list[dict] = []
    for offering in catalog.offerings:
        timeline = timelines.get(offering.id)
        if timeline is not None:
            await _update(session, offering, timeline, now, outcome)
            for promotion in offering.promotions:  # those still to come: a past discount would change past answers
                if promotion.valid_from >= now and (offering.id, promotion.name, promotion.valid_from) not in (
                        stored_promotions):
                    await _add_promotion(session, offering.id, promotion, outcome)
        elif (offering.provider, offering.id.rsplit("/", 1)[-1]) in offered:
            outcome.refused.append(f"{offering.id}: {offering.provider} already sells this model under another id")
        else:
            models.append(_model_row(offering))
            prices += [_price_row(offering.id, price) for price in offering.prices]
            promotions += [{"model_id": offering.id, **_promotion_fields(p)} for p in offering.promotions]
            outcome.offerings_added += 1
    new_providers = [{"id": p.id, "name": p.name} for p in catalog.providers if p.id not in providers]
    present = set(timelines) | {row["id"] for row in models}
    aliases = await _new_aliases(session, catalog, present, empty=not providers)
    # Promotions before prices: a past promotion may only be laid where the model has no price yet (a backfill,
    # migration 0018), and a new offering's prices then fill the gaps beneath its promotions.
    for table, rows in ((ProviderRow, new_providers), (ModelRow, models), (PromotionRow, promotions),
                        (PriceRow, prices), (AliasRow, aliases)):
        await _copy(session, table.__tablename__, rows)
    outcome.prices_added += len(prices)
    outcome.aliases_added = len(aliases)
    return outcome


async def _new_aliases(session: AsyncSession, catalog: DefaultCatalog, present: set[str], empty: bool) -> list[dict]:
    """The file's other spellings of its offerings (the makers' `claude-sonnet-4-6` for the seed's
    `claude-sonnet-4.6`) that the database lacks, each from the offering's first price on. A name that is itself an
    offering's id is never an alias: the id always resolves to itself first."""
    stored = set() if empty else {tuple(row) for row in await session.execute(
        select(AliasRow.alias, AliasRow.model_id))}
    ids = present | {offering.id for offering in catalog.offerings}
    of = f"default catalog of {catalog.as_of.date().isoformat()}"
    spellings = [(offering, name, f"{of}: this offering's spelling in another source")
                 for offering in catalog.offerings for name in offering.aliases]
    # A source's key is an alias whose source starts with the source's name, as an import records it.
    keys = [(offering, key.key, f"{key.source} key, {of}") for offering in catalog.offerings for key in offering.keys]
    rows: dict[tuple[str, str], dict] = {}
    for offering, name, source in [*spellings, *keys]:
        if offering.id in present and name not in ids and (name, offering.id) not in stored:
            rows.setdefault((name, offering.id), {"alias": name, "model_id": offering.id, "source": source,
                                                  "valid_from": offering.prices[0].valid_from, "valid_to": None})
    return list(rows.values())


async def _copy(session: AsyncSession, table: str, rows: list[dict]) -> None:
    """COPY the rows in, in the session's transaction: 5,000 prices take 1.2 s where a multi-row INSERT took 3.1 s
    (the checks, the exclusion constraint and the change-log triggers run for every row either way)."""
    if not rows:
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    columns = list(rows[0])
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table, columns=columns, records=[tuple(row[column] for column in columns) for row in rows])


def _model_row(offering: OfferingDoc) -> dict:
    return {"id": offering.id, "provider_id": offering.provider, "name": offering.name,
            "open_weights": offering.open_weights, "context_window": offering.context_window,
            "released_on": offering.released_on}


def _price_row(model_id: str, price: PriceDoc) -> dict:
    return {"model_id": model_id, "valid_from": price.valid_from, "valid_to": price.valid_to,
            "input_per_mtok": Decimal(price.input_per_mtok), "output_per_mtok": Decimal(price.output_per_mtok),
            "cache_read_per_mtok": _money(price.cache_read_per_mtok),
            "cache_write_per_mtok": _money(price.cache_write_per_mtok),
            **{name: _money(value) for name, value in zip(MORE_PRICES, price.more(), strict=True)},
            "source": price.source, "rules": _JSON.encode(price.rules or FLAT_DOCUMENT).decode()}


def _promotion_fields(promotion: PromotionDoc) -> dict:
    return {"name": promotion.name, "percent_off": Decimal(promotion.percent_off), "valid_from": promotion.valid_from,
            "valid_to": promotion.valid_to, "source": promotion.source}


def _money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


async def _update(session: AsyncSession, offering: OfferingDoc, timeline: ModelTimeline, now: datetime,
                  outcome: LoadOutcome) -> None:
    """The file's prices from `now` on that differ from the stored ones, as new periods (the importer's rule: from
    the moment of the load, or from the file's later date). What the database answered before stays answered."""
    for price in offering.prices:
        if price.valid_to is not None and price.valid_to <= now:
            continue  # the file's past: the stored past stands
        start = max(price.valid_from, now)
        stored = timeline.price_at(start)
        prices = TokenPrices(Decimal(price.input_per_mtok), Decimal(price.output_per_mtok),
                             _money(price.cache_read_per_mtok), _money(price.cache_write_per_mtok),
                             *(_money(value) for value in price.more()))
        rules = from_document(price.rules or FLAT_DOCUMENT)
        if stored is not None and stored.period.prices == prices and stored.period.rules == rules:
            outcome.unchanged += 1
            continue
        try:
            fields = {**msgspec.to_builtins(price), "valid_from": start.isoformat(), "rules": price.rules}
            data = msgspec.convert(fields, schemas.PricePeriodCreate)
            async with session.begin_nested():
                await price_queries.add_price(session, offering.id, data)
        except (ProblemError, IntegrityError, msgspec.ValidationError) as exc:
            outcome.refused.append(f"{offering.id}: the period from {start.isoformat()} was refused: "
                                   f"{_reason(exc)}")
            continue
        outcome.prices_added += 1


async def _add_promotion(session: AsyncSession, model_id: str, promotion: PromotionDoc, outcome: LoadOutcome) -> None:
    try:
        async with session.begin_nested():
            await session.execute(insert(PromotionRow), [{"model_id": model_id, **_promotion_fields(promotion)}])
    except IntegrityError as exc:
        outcome.refused.append(f"{model_id}: the promotion {promotion.name!r} was refused: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ProblemError):
        return exc.problem.detail
    return "it overlaps stored history" if isinstance(exc, IntegrityError) else str(exc)
