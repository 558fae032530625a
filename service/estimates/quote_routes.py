"""/v1/quotes: store an estimate under an id; the same id returns the same bytes forever."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import JSONBody

from service.db.engine import DbSession
from service.estimates.quotes import QuoteBody, QuoteRequest, create_quote, get_quote
from service.idempotency import idempotent_post
from service.problems import responses
from service.structs import SlugPath


class QuoteController(Controller):
    path = "/v1/quotes"
    tags = ["estimates"]

    @idempotent_post("/", responses=responses(400, 404, 422, 503), summary="Store an estimate as an immutable quote")
    async def create(
        self, session: DbSession, state: State, data: JSONBody[QuoteRequest]
    ) -> Response[QuoteBody]:
        body = await create_quote(session, state.snapshot_keeper.current, data)
        return Response(body, status_code=201, media_type="application/json")  # type: ignore[arg-type]

    @get("/{quote_id:str}", responses=responses(404, 422, 503),
         summary="A stored quote, byte for byte as first answered")
    async def read(self, session: DbSession, quote_id: SlugPath) -> Response[QuoteBody]:
        body = await get_quote(session, quote_id)
        return Response(body, media_type="application/json")  # type: ignore[arg-type]
