"""/v1/assumptions: the figures project estimates rest on (tooling, project sizes, retry factors, self-hosting),
each versioned over valid time and carrying its source."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, patch
from litestar.params import JSONBody, Parameter

from service.api.instants import parse_instant
from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, page_of
from service.api.problems import READ, responses
from service.api.structs import IdPath
from service.auth.scopes import WRITE_ROUTE
from service.catalog import assumption_schemas as wire
from service.catalog import assumptions
from service.db.engine import DbSession

# A PATCH that reads a body (which may be too large) and takes no If-Match: a version changes only once.
_CLOSE_ROUTE = {**WRITE_ROUTE, "responses": responses(400, 401, 403, 404, 409, 413, 422, 429, 503)}


class AssumptionController(Controller):
    path = "/v1/assumptions"
    tags = ["catalog"]

    @get("/", responses=responses(422, 503), summary="List assumptions, every version, by id",
         description="Filters combine: `kind`, `key`, and `at` (only the versions in force at that instant).")
    async def list_assumptions(
        self, session: DbSession, limit: Limit = 50, cursor: Cursor = None,
        kind: Annotated[Literal["tooling", "project-size", "retry-factor", "self-host"] | None,
                        Parameter(description="only assumptions of this kind")] = None,
        key: Annotated[str | None, Parameter(max_length=202)] = None,
        at: Annotated[str | None, Parameter(max_length=64, description="versions in force at this instant")] = None,
    ) -> wire.AssumptionPage:
        rows = await assumptions.list_assumptions(
            session, kind=kind, key=key, at=None if at is None else parse_instant(at),
            after=decode_cursor(cursor, int), limit=limit)
        page, next_cursor = page_of(rows, limit, "id")
        return wire.AssumptionPage(data=[assumptions.to_out(row) for row in page], next_cursor=next_cursor)

    @get("/{assumption_id:int}", responses=responses(*READ), summary="Read one version of an assumption")
    async def get_assumption(self, session: DbSession, assumption_id: IdPath) -> wire.AssumptionOut:
        return assumptions.to_out(await assumptions.get_assumption(session, assumption_id))

    @idempotent_post("/", **WRITE_ROUTE, summary="Add a version of an assumption",
                     description="The next version of (`figures.kind`, `key`), from `valid_from` (default now). "
                                 "An open version that starts earlier is closed there; any other overlap is a 409.")
    async def add_assumption(
        self, session: DbSession, data: JSONBody[wire.AssumptionCreate]
    ) -> wire.AssumptionOut:
        return assumptions.to_out(await assumptions.add_assumption(session, data))

    @patch("/{assumption_id:int}", **_CLOSE_ROUTE, summary="End a version of an assumption",
           description="The one change a stored version takes: its open period ends at `valid_to`.")
    async def close_assumption(
        self, session: DbSession, assumption_id: IdPath, data: JSONBody[wire.AssumptionClose]
    ) -> wire.AssumptionOut:
        return assumptions.to_out(await assumptions.close_assumption(session, assumption_id, data))
