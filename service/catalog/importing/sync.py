"""Syncing another catalog from its URL: a conditional GET, the import in one transaction, and a recorded run.

A run fetches the source with the validators of the last run that was kept (If-None-Match, If-Modified-Since),
imports what it got inside a savepoint of one transaction, and writes its row to `sync_runs` in that same
transaction: a run that fails anywhere (an HTTP error, a truncated or malformed body, a refused row) rolls the
whole import back and records only its failure. Runs are serialised by a transaction-scoped advisory lock, so two
processes never sync at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.catalog.importing.formats import Parsed, parse_genai_prices, parse_litellm
from service.catalog.importing.importer import ImportReport, apply_import
from service.db.models import SyncRunRow

PARSERS: dict[str, Callable[[bytes], Parsed]] = {"litellm": parse_litellm, "genai-prices": parse_genai_prices}
# LiteLLM's whole map is 3.5 MB; a body far past that is not a price list.
MAX_BODY_BYTES = 64 * 1024 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# pg_advisory_xact_lock's key for "a sync is running": any fixed 64-bit number no other lock in this service uses.
LOCK_KEY = 0x5052_4943_5359_4E43  # "PRICSYNC"
_KEPT = ("applied", "unchanged", "not_modified")
log = logging.getLogger("service.sync")


class SyncSource(NamedTuple):
    url: str
    format: str


class SyncError(Exception):
    """The source could not be read as a whole, valid file: nothing is imported."""


class Fetched(NamedTuple):
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None


@dataclass(slots=True)
class SyncResult:
    run: SyncRunRow
    report: ImportReport | None  # None when nothing was imported (not modified, the same body, a failure)


def parse_sources(value: str) -> tuple[SyncSource, ...]:
    """SYNC_SOURCES: `format=url` pairs separated by commas or spaces, e.g. `litellm=https://…/prices.json`."""
    sources = []
    for item in value.replace(",", " ").split():
        name, equals, url = item.partition("=")
        if not equals or name not in PARSERS or not url.startswith(("http://", "https://")):
            raise ValueError(f"SYNC_SOURCES: {item!r} is not FORMAT=URL with FORMAT one of {', '.join(PARSERS)}")
        sources.append(SyncSource(url, name))
    return tuple(sources)


async def fetch(client: httpx.AsyncClient, url: str, previous: SyncRunRow | None) -> Fetched:
    headers = {}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(304, b"", None, None)
            if response.status_code != 200:
                raise SyncError(f"the source answered HTTP {response.status_code}")
            chunks, size = [], 0
            # httpx raises when fewer bytes arrive than Content-Length promised (a truncated body).
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise SyncError(f"the body is larger than {MAX_BODY_BYTES} bytes")
                chunks.append(chunk)
            return Fetched(200, b"".join(chunks), response.headers.get("etag"),
                           response.headers.get("last-modified"))
    except httpx.HTTPError as exc:
        raise SyncError(f"the source could not be read: {type(exc).__name__}: {exc}") from exc


async def run_sync(
    sessionmaker: async_sessionmaker[AsyncSession], source: SyncSource, *, dry_run: bool = False,
    wait: bool = True, due_after: timedelta | None = None, client: httpx.AsyncClient | None = None,
) -> SyncResult | None:
    """One run, recorded. None (and no row) when `wait` is false and another process is syncing, or when the
    source's last run finished less than `due_after` ago (so processes on the same schedule sync once a turn)."""
    async with sessionmaker() as session, session.begin():
        lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        if (await session.execute(text(f"SELECT {lock}(:key)"), {"key": LOCK_KEY})).scalar() is False:
            return None
        last = await _last_run(session, source, kept_only=False)
        started = datetime.now(UTC)
        if due_after is not None and last is not None and last.finished_at > started - due_after:
            return None
        run = SyncRunRow(source_url=source.url, format=source.format, dry_run=dry_run, started_at=started)
        report = None
        try:
            async with client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as http:
                report = await _sync(session, http, source, run, await _last_run(session, source, kept_only=True))
        except Exception as exc:  # whatever broke, the run is recorded as failed and nothing of it is kept
            run.outcome, run.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            if not isinstance(exc, SyncError):  # not the source's fault: keep the traceback
                log.exception("catalog sync of %s broke", source.url)
        run.finished_at = datetime.now(UTC)
        session.add(run)
        await session.flush()
    return SyncResult(run, report)


async def _sync(
    session: AsyncSession, http: httpx.AsyncClient, source: SyncSource, run: SyncRunRow, previous: SyncRunRow | None,
) -> ImportReport | None:
    fetched = await fetch(http, source.url, previous)
    run.http_status = fetched.status
    if fetched.status == 304:
        run.outcome = "not_modified"
        if previous is not None:  # the validators still describe what was imported
            run.etag, run.last_modified, run.body_sha256 = previous.etag, previous.last_modified, previous.body_sha256
        return None
    run.etag, run.last_modified = fetched.etag, fetched.last_modified
    run.body_sha256 = hashlib.sha256(fetched.body).hexdigest()
    if previous is not None and previous.body_sha256 == run.body_sha256:
        run.outcome = "unchanged"  # a server without validators sent the very file already imported
        return None
    try:
        # Off the event loop: parsing LiteLLM's whole map takes a few hundred milliseconds.
        parsed = await asyncio.to_thread(PARSERS[source.format], fetched.body)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # msgspec.DecodeError is a ValueError
        raise SyncError(f"the body is not a {source.format} file: {type(exc).__name__}: {exc}") from exc
    savepoint = await session.begin_nested()
    try:
        report = await apply_import(session, parsed, f"sync:{source.url}"[:500], run.started_at)
    except BaseException:
        await savepoint.rollback()
        raise
    await (savepoint.rollback() if run.dry_run else savepoint.commit())
    run.outcome = "applied" if report.changes else "unchanged"
    run.providers_created, run.models_created = report.providers_created, report.models_created
    run.prices_added, run.prices_unchanged = report.prices_added, report.unchanged
    run.refused, run.skipped = len(report.refused), len(report.skipped)
    return report


async def _last_run(session: AsyncSession, source: SyncSource, *, kept_only: bool) -> SyncRunRow | None:
    """The source's last run; with kept_only, the last one whose result stands (its validators are current)."""
    query = select(SyncRunRow).where(SyncRunRow.source_url == source.url, SyncRunRow.format == source.format)
    if kept_only:
        query = query.where(SyncRunRow.dry_run.is_(False), SyncRunRow.outcome.in_(_KEPT))
    return await session.scalar(query.order_by(SyncRunRow.id.desc()).limit(1))



def run_fields(run: SyncRunRow) -> dict[str, object]:
    """The run as plain values: what a scheduled run's process hands back, and what its log line carries."""
    return {column.name: getattr(run, column.name) for column in SyncRunRow.__table__.columns}


def log_run(run: dict[str, object]) -> None:
    failed = run["outcome"] == "failed"
    log.log(logging.ERROR if failed else logging.INFO, "catalog sync of %s: %s%s", run["source_url"], run["outcome"],
            " (dry run)" if run["dry_run"] else "", extra={f"sync_{name}": value for name, value in run.items()})
