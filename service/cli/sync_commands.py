"""`pricing-api catalog sync URL --format F [--dry-run]`: one recorded sync run, its diff printed."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from service.catalog.importing.sync import PARSERS, SyncSource, run_sync
from service.db.engine import make_sessionmaker

_OUTCOMES = {
    "applied": "applied",
    "unchanged": "fetched: nothing differs from the catalog",
    "not_modified": "not modified since the last sync",
}


def add_sync_action(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sync = actions.add_parser(
        "sync", help="fetch a catalog by URL (If-None-Match/If-Modified-Since) and import it in one transaction")
    sync.add_argument("url")
    sync.add_argument("--format", required=True, choices=sorted(PARSERS))
    sync.add_argument("--dry-run", action="store_true",
                      help="print the diff (new offerings, new price periods, what is left out and why), keep nothing")


async def sync(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from service.cli.catalog_commands import print_report

    if not args.url.startswith(("http://", "https://")):
        print(f"pricing-api: {args.url} is not an http(s) URL", file=sys.stderr)
        return 2
    result = await run_sync(make_sessionmaker(engine), SyncSource(args.url, args.format), dry_run=args.dry_run)
    assert result is not None  # run_sync waits for the lock and has no due time here: it always runs
    run = result.run
    if result.report is not None:
        print_report(result.report, args.dry_run, (run.finished_at - run.started_at).total_seconds())
    if run.outcome == "failed":
        print(f"pricing-api: sync run {run.id} failed, nothing was changed: {run.error}", file=sys.stderr)
        return 1
    status = f"HTTP {run.http_status}"
    dry = ", dry run: nothing kept" if args.dry_run else ""
    print(f"sync run {run.id}: {_OUTCOMES[run.outcome]} ({status}{dry})")
    return 0
