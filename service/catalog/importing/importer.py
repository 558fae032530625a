"""Importing another catalog into ours without rewriting the past: a changed price becomes a new period.

New providers and models (with their prices and pricing rules) are inserted in bulk; a model we already price gets
a new period only where the file's price or its rules differ from ours at that instant, so re-importing the same
file changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import msgspec
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import ProblemError
from service.catalog import period_queries, price_queries, schemas
from service.catalog.history import write_time
from service.catalog.importing.accounting import Books
from service.catalog.importing.aliases import record_aliases
from service.catalog.importing.entries import ImportedModel, ImportedPrice, Parsed
from service.catalog.importing.providers import provider_name
from service.catalog.rules import to_document
from service.db.models import Base, ModelRow, PriceRow, ProviderRow
from service.pricing.prices import MORE_PRICES, TokenPrices
from service.pricing.rules import PriceRules
from service.pricing.timeline import PricePeriod


@dataclass(slots=True)
class ImportReport:
    providers_created: int = 0
    models_created: int = 0
    prices_added: int = 0
    unchanged: int = 0
    aliases_added: int = 0
    changes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    books: Books = field(default_factory=Books)  # the file's entries and components: imported, held, named


async def apply_import(
    session: AsyncSession, parsed: Parsed, source: str, now: datetime,
    progress: Callable[[Iterable[ImportedModel]], Iterable[ImportedModel]] = lambda models: models,
) -> ImportReport:
    report = ImportReport(skipped=list(parsed.skipped), books=parsed.books)
    # A stored model's undated price changes from the time of the write, on the database's clock: `now` may have been
    # read before the transaction began, and closing the open period before the write's time would change the past.
    # A new model's history fills a gap, so it may start at `now` (a backfill).
    changes_from = max(now, await write_time(session))
    # What is held, asked once for the whole file: the models, and the period in force at each of its prices' starts.
    existing = await period_queries.existing_models(session, [model.id for model in parsed.models])
    stored = await period_queries.periods_at(session, [
        (model.id, price.valid_from or changes_from) for model in parsed.models if model.id in existing
        for price in model.prices])
    providers = set(await session.scalars(select(ProviderRow.id)))
    new_providers: dict[str, dict] = {}
    new_models: list[dict] = []
    new_prices: list[dict] = []
    seen: set[str] = set()
    for model in progress(parsed.models):
        if model.id in seen:
            report.skipped.append(f"{model.name}: its id {model.id} repeats an earlier entry of the file")
            continue
        seen.add(model.id)
        if model.provider not in providers and model.provider not in new_providers:
            new_providers[model.provider] = {"id": model.provider, "name": provider_name(model.provider)}
            report.changes.append(f"+ provider {model.provider}")
        if model.id in existing:
            await _update_prices(session, stored, model, source, changes_from, report)
            continue
        new_models.append({"id": model.id, "provider_id": model.provider, "name": model.name[:200],
                           "open_weights": False, "context_window": model.context_window})
        new_prices += _periods(model, source, now)
        report.changes.append(f"+ model {model.id} ({model.provider}) at {_describe(model.prices[0])}")
    # Bulk inserts for what is new: the same rules hold (the database checks every row), minus a query each.
    for table, rows in ((ProviderRow, list(new_providers.values())), (ModelRow, new_models), (PriceRow, new_prices)):
        await _insert_in_bulk(session, table, rows)
    report.providers_created, report.models_created = len(new_providers), len(new_models)
    report.prices_added += len(new_prices)
    await record_aliases(session, parsed, source, now, report)
    return report


async def _insert_in_bulk(session: AsyncSession, table: type[Base], rows: list[dict]) -> None:
    # With RETURNING, SQLAlchemy sends the rows as a few multi-row statements ("insertmanyvalues"); without it,
    # asyncpg's executemany runs one statement a row, and the change log numbers its entries once a statement
    # (migration 0010).
    if rows:
        await session.execute(insert(table).returning(*inspect(table).primary_key), rows)


def _columns(prices: TokenPrices) -> dict[str, Decimal | None]:
    return {"input_per_mtok": prices.input_per_mtok, "output_per_mtok": prices.output_per_mtok,
            "cache_read_per_mtok": prices.cache_read_per_mtok, "cache_write_per_mtok": prices.cache_write_per_mtok,
            **dict(zip(MORE_PRICES, prices.more(), strict=True))}


def _periods(model: ImportedModel, source: str, now: datetime) -> list[dict]:
    starts = [price.valid_from or now for price in model.prices]
    ends = [*starts[1:], None]
    return [
        {"model_id": model.id, "valid_from": start, "valid_to": end, "source": source,
         "rules": to_document(price.rules), **_columns(price.prices())}
        for price, start, end in zip(model.prices, starts, ends, strict=True)
    ]


async def _update_prices(
    session: AsyncSession, stored: dict[tuple[str, datetime], PricePeriod], model: ImportedModel, source: str,
    now: datetime, report: ImportReport,
) -> None:
    for price in model.prices:
        at = price.valid_from or now
        period = stored.get((model.id, at))
        if period is not None and _same(period, price):
            report.unchanged += 1
            continue
        try:
            data = schemas.PricePeriodCreate(
                valid_from=at, input_per_mtok=price.input_per_mtok, output_per_mtok=price.output_per_mtok,
                cache_read_per_mtok=price.cache_read_per_mtok, cache_write_per_mtok=price.cache_write_per_mtok,
                source=source, rules=_rules_in(price.rules), **price.more_by_name())  # type: ignore[arg-type]
            async with session.begin_nested():
                await price_queries.add_price(session, model.id, data)
        except (ProblemError, IntegrityError, msgspec.ValidationError) as exc:
            report.refused.append(f"{model.id}: a new price from {at.isoformat()} was refused: {_refusal(exc)}")
            continue
        report.prices_added += 1
        report.changes.append(f"~ model {model.id}: new period from {at.isoformat()} at {_describe(price)}")


def _same(period: PricePeriod, price: ImportedPrice) -> bool:
    # The rules count too: a re-imported file changes nothing, and a changed tier alone is a new period.
    return period.prices == price.prices() and period.rules == price.rules


def _rules_in(rules: PriceRules) -> schemas.PriceRulesIn | None:
    # The request form of the rules, so the update path validates them exactly as the API does.
    return None if rules.is_flat else msgspec.convert(to_document(rules), schemas.PriceRulesIn)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ProblemError):
        return exc.problem.detail
    return "it overlaps stored history" if isinstance(exc, IntegrityError) else str(exc)


def _describe(price: ImportedPrice) -> str:
    text = f"{price.input_per_mtok}/{price.output_per_mtok} per 1M (in/out)"
    rules = price.rules
    thresholds = ", ".join(str(tier.above_prompt_tokens) for tier in rules.tiers)
    parts = [f"context {'tiers' if len(rules.tiers) > 1 else 'tier'} above {thresholds}"] if rules.tiers else []
    parts += [f"{variant.kind} x{variant.multiplier}" for variant in rules.variants]
    parts += [f"{window.name} x{window.multiplier}" for window in rules.windows[:1]]
    return f"{text} with {', '.join(parts)}" if parts else text
