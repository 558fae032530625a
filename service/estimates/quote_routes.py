"""/v1/quotes: store an estimate under an id; the same id returns the same bytes forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Reference, RequestBody
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.params import JSONBody

from service.api.operations import IdempotentOperation
from service.api.problems import responses
from service.api.structs import SlugPath
from service.db.engine import DbSession
from service.estimates.quotes import QUOTE_REQUEST_DESCRIPTION, REQUEST_TYPES, QuoteBody, create_quote, get_quote
from service.estimates.repricing import RepricedQuote, reprice


def quote_request_schema() -> OpenAPISchema:
    """Both forms of a quote request. anyOf, not oneOf: a flat body may hold a `request` field of its own."""
    refs = {kind: Reference(ref=f"#/components/schemas/{struct.__name__}") for kind, struct in REQUEST_TYPES.items()}
    nested = OpenAPISchema(type=OpenAPIType.OBJECT, required=["kind", "request"], properties={
        "kind": OpenAPISchema(type=OpenAPIType.STRING, enum=list(refs)),
        "request": OpenAPISchema(one_of=list(refs.values())),
    })
    flat = [OpenAPISchema(all_of=[ref, OpenAPISchema(type=OpenAPIType.OBJECT, required=["kind"],
                                                     properties={"kind": OpenAPISchema(const=kind)})])
            for kind, ref in refs.items()]
    return OpenAPISchema(description=QUOTE_REQUEST_DESCRIPTION, any_of=[nested, *flat])


@dataclass
class QuoteOperation(IdempotentOperation):
    """The body is read by hand (service.estimates.quotes.read_quote_request), so its two forms are documented here."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=quote_request_schema())})


class QuoteController(Controller):
    path = "/v1/quotes"
    tags = ["estimates"]

    # An anonymous address may store `QUOTA_ANONYMOUS_QUOTES` a day, kept `QUOTE_ANONYMOUS_RETENTION`; a caller with
    # a key any number, kept (service.http.access checked the key, and left its id in the scope's state).
    @post("/", operation_class=QuoteOperation, responses=responses(400, 401, 404, 422, 503),
          opt={"quota": "anonymous_quotes"},
          summary="Store an estimate as an immutable quote",
          description="Anonymous callers may store a limited number of quotes a day per address "
                      "(`QUOTA_ANONYMOUS_QUOTES`, 100 by default; then 429), and their quotes expire after "
                      "`QUOTE_ANONYMOUS_RETENTION` (30 days by default): the answer's `expires_at` says when, and a "
                      "read after it is a 410. With any valid API key there is no quota, and `expires_at` is null: "
                      "the quote is kept.")
    async def create(
        self, request: Request, session: DbSession, state: State, data: JSONBody[Any]
    ) -> Response[QuoteBody]:
        anonymous = request.scope["state"].get("api_key_id") is None
        retention = timedelta(seconds=state.settings.quote_anonymous_retention_seconds) if anonymous else None
        body = await create_quote(session, state.snapshot_keeper.current, data, retention, state.work_limits)
        return Response(body, status_code=201, media_type="application/json")  # type: ignore[arg-type]

    @get("/{quote_id:str}", responses=responses(404, 410, 422, 503),
         summary="A stored quote, byte for byte as first answered",
         description="An anonymous caller's quote is answered until its `expires_at`, then 410 `gone`.")
    async def read(self, session: DbSession, quote_id: SlugPath) -> Response[QuoteBody]:
        body = await get_quote(session, quote_id)
        return Response(body, media_type="application/json")  # type: ignore[arg-type]

    @get("/{quote_id:str}/repriced", responses=responses(404, 410, 422, 503),
         summary="A stored quote priced again on what the catalog knows now",
         description=('A quote of any kind (estimate, batch, compare, monthly, self-host, project): the same request, '
                      "at the same instants, priced on the history the catalog holds now. Each of the answer's totals "
                      "then and now, with the difference (now minus then), in `totals`: an estimate's `cost.total`, a "
                      "batch's and a month's `total`, each compared model's `rows[].cost.total`, each project model's "
                      "`models[].cost.expected`, a self-host comparison's `compare_with.api_per_mtok` (and "
                      '`api_monthly_cost`). A kind with one total repeats it in `total_then`, `total_now` and '
                      "`difference`. `corrections`: those recorded after the quote's `known_at` that meet a stretch of "
                      'valid time either answer priced (docs/history.md). The quote itself is unchanged; a request that'
                      " today's catalog cannot price is answered with that problem."))
    async def repriced(self, session: DbSession, state: State, quote_id: SlugPath) -> RepricedQuote:
        return await reprice(session, state.snapshot_keeper.current, quote_id, state.work_limits)
