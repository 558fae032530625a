"""/v1/providers: list, read, create, rename, delete."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch
from litestar.params import JSONBody, Parameter

from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, page_of
from service.api.preconditions import IfMatch, with_etag
from service.api.problems import READ, responses
from service.api.structs import SlugPath
from service.auth.scopes import CHANGE_ROUTE, DELETE_ROUTE, WRITE_ROUTE
from service.catalog import list_queries, listing, queries, render, schemas
from service.db.engine import DbSession


class ProviderController(Controller):
    path = "/v1/providers"
    tags = ["catalog"]

    @get("/", **listing.LIST_ROUTE, summary="List providers", description=listing.describe(
        "`priced_at` keeps only providers with at least one model priced at that instant."))
    async def list_providers(
        self, request: Request, list_session: DbSession, limit: Limit = 50, cursor: Cursor = None,
        priced_at: Annotated[str | None, Parameter(
            max_length=64, description="only providers with a model priced at this instant: RFC 3339 with "
                                       "offset, or a date (midnight UTC)")] = None,
    ) -> Response[schemas.ProviderPage]:
        filters = list_queries.ProviderFilters(listing.instant_or_none(priced_at, "priced_at"))
        after = decode_cursor(cursor, str)
        etag = listing.list_etag(request, "providers", after, limit, filters)
        if unchanged := listing.not_modified(request, etag):
            return unchanged
        rows = await list_queries.list_providers(list_session, filters, after=after, limit=limit)
        page, next_cursor = page_of(rows, limit, "id")
        return listing.page(schemas.ProviderPage(data=[render.provider(r) for r in page], next_cursor=next_cursor),
                            etag)

    @get("/{provider_id:str}", responses=responses(*READ), summary="Read a provider")
    async def get_provider(self, session: DbSession, provider_id: SlugPath) -> Response[schemas.ProviderOut]:
        row = await queries.get_provider(session, provider_id)
        return with_etag(render.provider(row), row)

    @idempotent_post("/", **WRITE_ROUTE, summary="Create a provider")
    async def create_provider(self, session: DbSession, data: JSONBody[schemas.ProviderCreate]) -> schemas.ProviderOut:
        return render.provider(await queries.create_provider(session, data))

    @patch("/{provider_id:str}", **CHANGE_ROUTE, summary="Rename a provider")
    async def update_provider(
        self, session: DbSession, provider_id: SlugPath, data: JSONBody[schemas.ProviderUpdate],
        if_match: IfMatch = None,
    ) -> Response[schemas.ProviderOut]:
        row = await queries.update_provider(session, provider_id, data, if_match)
        return with_etag(render.provider(row), row)

    @delete("/{provider_id:str}", **DELETE_ROUTE,
            summary="Delete a provider that has no models")
    async def delete_provider(self, session: DbSession, provider_id: SlugPath, if_match: IfMatch = None) -> None:
        await queries.delete_provider(session, provider_id, if_match)
