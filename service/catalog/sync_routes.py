"""/v1/sync-runs: every sync of another catalog (scheduled or from the command line), newest first."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import get
from litestar.params import Parameter
from sqlalchemy import select

from service.api.pagination import PAGING_DESCRIPTION, Cursor, Limit, decode_cursor, page_of
from service.api.problems import responses
from service.api.structs import Instant, Schema
from service.db.engine import DbSession
from service.db.models import SyncRunRow

SyncOutcome = Literal["applied", "unchanged", "not_modified", "failed"]


class SyncRunOut(Schema, kw_only=True):
    id: int
    source_url: str
    format: Literal["litellm", "genai-prices"]
    dry_run: bool
    started_at: Instant
    finished_at: Instant
    outcome: SyncOutcome
    http_status: int | None
    etag: str | None
    last_modified: str | None
    providers_created: int
    models_created: int
    prices_added: int
    prices_unchanged: int
    refused: int
    skipped: int
    error: str | None


class SyncRunPage(Schema, kw_only=True):
    data: list[SyncRunOut]
    next_cursor: str | None


def sync_run_out(row: SyncRunRow) -> SyncRunOut:
    return SyncRunOut(
        id=row.id, source_url=row.source_url, format=row.format, dry_run=row.dry_run,  # type: ignore[arg-type]
        started_at=row.started_at, finished_at=row.finished_at, outcome=row.outcome,  # type: ignore[arg-type]
        http_status=row.http_status, etag=row.etag, last_modified=row.last_modified,
        providers_created=row.providers_created, models_created=row.models_created, prices_added=row.prices_added,
        prices_unchanged=row.prices_unchanged, refused=row.refused, skipped=row.skipped, error=row.error)


@get("/v1/sync-runs", tags=["catalog"], summary="List sync runs, newest first",
     responses=responses(422, 503), description=(
         "One entry per `pricing-api catalog sync` run and per scheduled sync (`SYNC_SOURCES`), whatever its "
         "outcome: `applied` (changes were committed), `unchanged` (the file was fetched and nothing differs), "
         "`not_modified` (the source answered 304 to If-None-Match/If-Modified-Since), `failed` (nothing was "
         "changed; `error` says why). A `dry_run` run kept nothing; its outcome and counts say what it would "
         "have done. " + PAGING_DESCRIPTION.replace("in a stable order, by id", "newest first")))
async def list_sync_runs(
    session: DbSession, limit: Limit = 50, cursor: Cursor = None,
    source_url: Annotated[str | None, Parameter(max_length=2000, description="only this source's runs")] = None,
    outcome: Annotated[SyncOutcome | None, Parameter(description="only runs with this outcome")] = None,
) -> SyncRunPage:
    query = select(SyncRunRow).order_by(SyncRunRow.id.desc()).limit(limit + 1)
    if (before := decode_cursor(cursor, int)) is not None:
        query = query.where(SyncRunRow.id < before)
    if source_url is not None:
        query = query.where(SyncRunRow.source_url == source_url)
    if outcome is not None:
        query = query.where(SyncRunRow.outcome == outcome)
    rows, next_cursor = page_of(list(await session.scalars(query)), limit, "id")
    return SyncRunPage(data=[sync_run_out(row) for row in rows], next_cursor=next_cursor)

