"""`pricing-api catalog import` and `catalog export`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from service.catalog.importing.entries import ImportedModel
from service.catalog.importing.importer import ImportReport, apply_import
from service.catalog.importing.sync import PARSERS
from service.cli import default_catalog, sync_commands
from service.db.engine import make_engine, make_sessionmaker


def add_arguments(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    catalog = commands.add_parser("catalog", help="import another catalog, export ours")
    actions = catalog.add_subparsers(dest="catalog_action", required=True)
    load = actions.add_parser("import", help="a changed price becomes a new period; re-importing changes nothing")
    load.add_argument("file", type=Path)
    load.add_argument("--format", required=True, choices=sorted(PARSERS))
    load.add_argument("--dry-run", action="store_true", help="print the changes, then roll them back")
    sync_commands.add_sync_action(actions)
    dump = actions.add_parser("export", help="the price feed JSON at an instant (default now)")
    dump.add_argument("--at", default=None)
    dump.add_argument("--output", type=Path, default=None)
    default_catalog.add_arguments(actions)


async def run(url: str, args: argparse.Namespace) -> int:
    engine = make_engine(url, pool_size=1)
    try:
        if args.catalog_action == "import":
            return await _import(engine, args)
        if args.catalog_action == "sync":
            return await sync_commands.sync(engine, args)
        return await _export(engine, args)
    finally:
        await engine.dispose()


async def _import(engine: AsyncEngine, args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    parsed = PARSERS[args.format](args.file.read_bytes())
    async with make_sessionmaker(engine)() as session:
        transaction = await session.begin()
        report = await apply_import(session, parsed, f"import:{args.file.name}", started, progress=_progress)
        if args.dry_run:
            await transaction.rollback()
        else:
            await transaction.commit()
    print_report(report, args.dry_run, (datetime.now(UTC) - started).total_seconds())
    return 0


def _progress(models: Iterable[ImportedModel]) -> Iterable[ImportedModel]:
    # A progress bar only on a terminal: CI logs and pipes get the plain report.
    if not sys.stderr.isatty():
        return models
    from rich.progress import track

    return track(models, description="importing", console=None, transient=True)


def print_report(report: ImportReport, dry_run: bool, seconds: float) -> None:
    for line in report.changes:
        print(line)
    for line in report.refused:
        print(f"! {line}")
    for line in report.skipped:
        print(f"- {line}", file=sys.stderr)
    books = report.books
    print(f"read {books.entries_read} entries: {books.entries_imported} imported, {books.entries_skipped} skipped; "
          f"{books.components_read} prices: {books.components_held} held ({len(books.rounded)} rounded to 12 "
          f"decimals), {books.components_named} left out with a reason")
    verb = "would add" if dry_run else "added"
    print(f"{verb} {report.providers_created} providers, {report.models_created} models, {report.prices_added} "
          f"price periods, {report.aliases_added} aliases; {report.unchanged} prices unchanged, "
          f"{len(report.refused)} refused, {len(report.skipped)} lines left out ({seconds:.1f} s)")


async def _export(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from service.api.instants import parse_instant
    from service.feeds.price_feed import price_feed
    from service.snapshot.catalog_snapshot import load_snapshot

    async with make_sessionmaker(engine)() as session, session.begin():
        snapshot = await load_snapshot(session)
    instant = parse_instant(args.at)
    body = msgspec.json.format(msgspec.json.encode(price_feed(snapshot, instant, instant if args.at else None)))
    if args.output:
        args.output.write_bytes(body + b"\n")
    else:
        sys.stdout.buffer.write(body + b"\n")
    return 0
