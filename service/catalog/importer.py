"""Importing another catalog into ours without rewriting the past: a changed price becomes a new period.

New providers and models (with their prices) are inserted in bulk; a model we already price gets a new period
only where the file's price differs from ours at that instant, so re-importing the same file changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.catalog import price_queries, schemas
from service.catalog.import_formats import ImportedModel, ImportedPrice, Parsed
from service.catalog.snapshot import load_snapshot
from service.db.models import Model, Price, Provider
from service.pricing.prices import TokenPrices
from service.pricing.timeline import ModelTimeline
from service.problems import ProblemError


@dataclass(slots=True)
class ImportReport:
    providers_created: int = 0
    models_created: int = 0
    prices_added: int = 0
    unchanged: int = 0
    changes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


async def apply_import(
    session: AsyncSession, parsed: Parsed, source: str, now: datetime,
    progress: Callable[[Iterable[ImportedModel]], Iterable[ImportedModel]] = lambda models: models,
) -> ImportReport:
    report = ImportReport(skipped=list(parsed.skipped))
    snapshot = await load_snapshot(session)
    providers = set(await session.scalars(select(Provider.id)))
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
            new_providers[model.provider] = {"id": model.provider, "name": model.provider}
            report.changes.append(f"+ provider {model.provider}")
        if model.id in snapshot.models:
            await _update_prices(session, snapshot.timelines[model.id], model, source, now, report)
            continue
        new_models.append({"id": model.id, "provider_id": model.provider, "name": model.name[:200],
                           "open_weights": False, "context_window": model.context_window})
        new_prices += _periods(model, source, now)
        report.changes.append(f"+ model {model.id} ({model.provider}) at {_describe(model.prices[0])}")
    # Bulk inserts for what is new: the same rules hold (the database checks every row), minus a query each.
    for table, rows in ((Provider, list(new_providers.values())), (Model, new_models), (Price, new_prices)):
        if rows:
            await session.execute(insert(table), rows)
    report.providers_created, report.models_created = len(new_providers), len(new_models)
    report.prices_added += len(new_prices)
    return report


def _periods(model: ImportedModel, source: str, now: datetime) -> list[dict]:
    starts = [price.valid_from or now for price in model.prices]
    ends = [*starts[1:], None]
    return [
        {"model_id": model.id, "valid_from": start, "valid_to": end, "source": source,
         **dict(zip(("input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok"),
                    price.values(), strict=True))}
        for price, start, end in zip(model.prices, starts, ends, strict=True)
    ]


async def _update_prices(
    session: AsyncSession, timeline: ModelTimeline, model: ImportedModel, source: str, now: datetime,
    report: ImportReport,
) -> None:
    for price in model.prices:
        at = price.valid_from or now
        found = timeline.price_at(at)
        if found is not None and found.period.prices == TokenPrices(*price.values()):
            report.unchanged += 1
            continue
        data = schemas.PricePeriodCreate(
            valid_from=at, input_per_mtok=price.input_per_mtok, output_per_mtok=price.output_per_mtok,
            cache_read_per_mtok=price.cache_read_per_mtok, cache_write_per_mtok=price.cache_write_per_mtok,
            source=source)
        try:
            async with session.begin_nested():
                await price_queries.add_price(session, model.id, data)
        except (ProblemError, IntegrityError) as exc:
            detail = exc.problem.detail if isinstance(exc, ProblemError) else "it overlaps stored history"
            report.refused.append(f"{model.id}: a new price from {at.isoformat()} was refused: {detail}")
            continue
        report.prices_added += 1
        report.changes.append(f"~ model {model.id}: new period from {at.isoformat()} at {_describe(price)}")


def _describe(price: ImportedPrice) -> str:
    return f"{price.input_per_mtok}/{price.output_per_mtok} per 1M (in/out)"
