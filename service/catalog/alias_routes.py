"""/v1/aliases: other names of an offering (dated snapshots, provider spellings, LiteLLM keys, old names)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch
from litestar.params import JSONBody, Parameter

from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, page_of
from service.api.problems import READ, responses
from service.api.structs import IdPath
from service.auth.scopes import WRITE_ROUTE
from service.catalog import alias_schemas, aliases
from service.db.engine import DbSession
from service.db.models import AliasRow

# A PATCH that reads a body (which may be too large) and takes no If-Match: an alias changes only once.
_CLOSE_ROUTE = {**WRITE_ROUTE, "responses": responses(400, 401, 403, 404, 409, 413, 422, 429, 503)}


def _out(row: AliasRow) -> alias_schemas.AliasOut:
    return alias_schemas.AliasOut(id=row.id, alias=row.alias, model=row.model_id, valid_from=row.valid_from,
                                  valid_to=row.valid_to, source=row.source, recorded_at=row.recorded_at)


class AliasController(Controller):
    path = "/v1/aliases"
    tags = ["catalog"]

    @get("/", responses=responses(422, 503), summary="List aliases, their whole history, by id",
         description="Filters combine: `alias` (exactly this name) and `model` (aliases of this offering id).")
    async def list_aliases(
        self, read_session: DbSession, limit: Limit = 50, cursor: Cursor = None,
        alias: Annotated[str | None, Parameter(max_length=300, description="exactly this name")] = None,
        model: Annotated[str | None, Parameter(max_length=201, description="aliases of this offering")] = None,
    ) -> alias_schemas.AliasPage:
        rows = await aliases.list_aliases(read_session, alias=alias, model=model, after=decode_cursor(cursor, int),
                                          limit=limit)
        page, next_cursor = page_of(rows, limit, "id")
        return alias_schemas.AliasPage(data=[_out(row) for row in page], next_cursor=next_cursor)

    @get("/{alias_id:int}", responses=responses(*READ), summary="Read an alias")
    async def get_alias(self, session: DbSession, alias_id: IdPath) -> alias_schemas.AliasOut:
        return _out(await aliases.get_alias(session, alias_id))

    @idempotent_post("/", **WRITE_ROUTE, summary="Name an offering by another name",
                     description="From `valid_from` (default now) to `valid_to` (default open). One name may "
                                 "name several offerings at once; estimates by it are then a 409 listing them.")
    async def create_alias(
        self, session: DbSession, data: JSONBody[alias_schemas.AliasCreate]
    ) -> alias_schemas.AliasOut:
        return _out(await aliases.create_alias(session, data))

    @patch("/{alias_id:int}", **_CLOSE_ROUTE, summary="End an alias",
           description="The one change an alias takes: its open period ends at `valid_to`. History is kept.")
    async def close_alias(
        self, session: DbSession, alias_id: IdPath, data: JSONBody[alias_schemas.AliasClose]
    ) -> alias_schemas.AliasOut:
        return _out(await aliases.close_alias(session, alias_id, data))
