"""Pages of /v1/models cut from the in-process snapshot, byte for byte the pages the database would answer.

Read from the database, a page costs a connection, a transaction and a query; under eight concurrent clients those
round trips were most of its time (bench.scale: p99 21.7 ms at 10,000 models, the query itself under 1 ms). The
snapshot holds every model's row, so the unfiltered list and one provider's can be paged without them, when that
is exact: the snapshot must hold every commit this process has been told of (`SnapshotKeeper.caught_up`), and the
database must order ids by code point, as Python does (`id > cursor ORDER BY id` under a linguistic collation such
as en_US sorts "a-c" after "ab"). Text and priced_at filters are left to the indexes made for them.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, NamedTuple

from litestar import Request, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.api.pagination import page_of
from service.catalog import listing, schemas
from service.catalog.list_queries import ModelFilters

# Collations that compare text as strcmp does, i.e. by code point in UTF-8: libc's and (PostgreSQL 17+) builtin.
_CODE_POINT_ORDER = {"C", "POSIX", "C.UTF-8", "C.utf8"}
_ORDER = text("SELECT datlocprovider::text, datcollate FROM pg_database WHERE datname = current_database()")
_by_code_point: dict[str, bool] = {}  # by database URL: asked once per database and process


class _Index(NamedTuple):
    ids: list[str]  # every model's, in code point order
    by_provider: dict[str, list[str]]


# The current snapshot's index only, made on the first list after a change (as feeds/cache.py keeps its bodies).
_indexed: tuple[Any, _Index | None] | None = None


async def model_page(request: Request[Any, Any, Any], session: AsyncSession, filters: ModelFilters, *,
                     after: str | None, limit: int, etag: str) -> Response[schemas.ModelPage] | None:
    """The page from the snapshot named by `etag`, or None when the database must answer it."""
    if filters.q is not None or filters.priced_at is not None:
        return None
    state = request.app.state
    bind = state.sessionmaker.kw.get("bind")
    # A session that joins a transaction already open on a connection (the test suite's, rolled back after each
    # test) may see rows that were never committed, which no snapshot holds.
    if not isinstance(bind, AsyncEngine):
        return None
    database = bind.url.render_as_string(hide_password=True)
    if database not in _by_code_point:
        # Once: the first page is then read from the database, since the snapshot may have moved on meanwhile.
        provider, collation = (await session.execute(_ORDER)).one()
        _by_code_point[database] = provider in ("c", "b") and collation in _CODE_POINT_ORDER
        return None
    if not (_by_code_point[database] and state.snapshot_keeper.caught_up):
        return None
    snapshot = state.snapshot_keeper.current  # the one `etag` was made from: nothing was awaited since
    index = None if snapshot is None else _index_of(snapshot)
    if index is None:
        return None
    ids = index.ids if filters.provider is None else index.by_provider.get(filters.provider, [])
    start = 0 if after is None else bisect_right(ids, after)
    rows = [_model_out(snapshot.models[model_id]) for model_id in ids[start:start + limit + 1]]
    page, next_cursor = page_of(rows, limit, "id")
    return listing.page(schemas.ModelPage(data=page, next_cursor=next_cursor), etag)


def _index_of(snapshot: Any) -> _Index | None:
    global _indexed
    if _indexed is None or _indexed[0] is not snapshot:
        _indexed = (snapshot, _index(snapshot.models))
    return _indexed[1]


def _index(models: dict[str, Any]) -> _Index | None:
    if any(info.created_at is None for info in models.values()):
        return None  # a snapshot made without the rows' timestamps cannot render them
    ids = sorted(models)  # already in order but for the last few added: a linear pass
    by_provider: dict[str, list[str]] = {}
    for model_id in ids:
        by_provider.setdefault(models[model_id].provider, []).append(model_id)
    return _Index(ids, by_provider)


def _model_out(info: Any) -> schemas.ModelOut:
    return schemas.ModelOut(
        id=info.id, provider=info.provider, name=info.name, open_weights=info.open_weights,
        context_window=info.context_window, released_on=info.released_on, created_at=info.created_at,
        updated_at=info.updated_at,
    )
