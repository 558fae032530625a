"""/v1/models: models and offerings, their price history, and the effective price at an instant."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch
from litestar.params import JSONBody, Parameter

from service.api.instants import parse_instant
from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, page_of
from service.api.preconditions import IfMatch, with_etag
from service.api.problems import READ, responses
from service.api.structs import ProviderPath, SlugPath, offering_id
from service.auth.scopes import CHANGE_ROUTE, DELETE_ROUTE, WRITE_ROUTE
from service.catalog import list_queries, listing, price_queries, queries, render, schemas, snapshot_lists
from service.db.engine import DbSession

# Each route that names one offering takes its id in one segment (`deepseek-v4-flash`) or two
# (`together/deepseek-v4-flash`): Litestar routes both paths to the same handler (docs/offerings.md).
_ONE = ["/{model_id:str}", "/{provider_id:str}/{model_id:str}"]
_PRICES = [f"{path}/prices" for path in _ONE]
_PRICE = [f"{path}/price" for path in _ONE]

At = Annotated[
    str | None,
    Parameter(description="RFC 3339 instant with offset, or a date (midnight UTC); default now", max_length=64),
]


class ModelController(Controller):
    path = "/v1/models"
    tags = ["catalog"]

    @get("/", **listing.LIST_ROUTE, summary="List models", description=listing.describe(
        "Filters combine: `provider`, `q` (case-insensitive text in the id or the name) and `priced_at` (only "
        "models with a price period covering that instant)."))
    async def list_models(
        self, request: Request, list_session: DbSession, limit: Limit = 50, cursor: Cursor = None,
        provider: listing.ProviderFilter = None, q: listing.TextFilter = None,
        priced_at: Annotated[str | None, Parameter(
            max_length=64,
            description="only models priced at this instant: RFC 3339 with offset, or a date (midnight UTC)")] = None,
    ) -> Response[schemas.ModelPage]:
        filters = list_queries.ModelFilters(provider, q or None, listing.instant_or_none(priced_at, "priced_at"))
        after = decode_cursor(cursor, str)
        etag = listing.list_etag(request, "models", after, limit, filters)
        if unchanged := listing.not_modified(request, etag):
            return unchanged
        if served := await snapshot_lists.model_page(request, list_session, filters, after=after, limit=limit,
                                                      etag=etag):
            return served
        rows = await list_queries.list_models(list_session, filters, after=after, limit=limit)
        page, next_cursor = page_of(rows, limit, "id")
        return listing.page(schemas.ModelPage(data=[render.model(r) for r in page], next_cursor=next_cursor), etag)

    @get(_ONE, responses=responses(*READ), summary="Read a model or an offering")
    async def get_model(
        self, session: DbSession, model_id: SlugPath, provider_id: ProviderPath = None
    ) -> Response[schemas.ModelOut]:
        row = await queries.get_model(session, offering_id(provider_id, model_id))
        return with_etag(render.model(row), row)

    @idempotent_post("/", **WRITE_ROUTE, summary="Create a model or an offering")
    async def create_model(self, session: DbSession, data: JSONBody[schemas.ModelCreate]) -> schemas.ModelOut:
        return render.model(await queries.create_model(session, data))

    @patch(_ONE, **CHANGE_ROUTE, summary="Change a model or an offering")
    async def update_model(
        self, session: DbSession, model_id: SlugPath, data: JSONBody[schemas.ModelUpdate],
        provider_id: ProviderPath = None, if_match: IfMatch = None,
    ) -> Response[schemas.ModelOut]:
        row = await queries.update_model(session, offering_id(provider_id, model_id), data, if_match)
        return with_etag(render.model(row), row)

    @delete(_ONE, **DELETE_ROUTE, summary="Delete a model or an offering that has no price history")
    async def delete_model(
        self, session: DbSession, model_id: SlugPath, provider_id: ProviderPath = None, if_match: IfMatch = None
    ) -> None:
        await queries.delete_model(session, offering_id(provider_id, model_id), if_match)

    @get(_PRICES, responses=responses(*READ), summary="The whole price history",
         description="As the catalog says now, or as it said at the record time `known_at` (docs/history.md).")
    async def list_prices(
        self, read_session: DbSession, model_id: SlugPath, provider_id: ProviderPath = None, limit: Limit = 50,
        cursor: Cursor = None, known_at: listing.KnownAt = None,
    ) -> schemas.PricePeriodPage:
        rows = await price_queries.list_prices(
            read_session, offering_id(provider_id, model_id), after=decode_cursor(cursor, int), limit=limit,
            known_at=listing.instant_or_none(known_at, "known_at"))
        page, next_cursor = page_of(rows, limit, "id")
        return schemas.PricePeriodPage(data=[render.price(r) for r in page], next_cursor=next_cursor)

    @idempotent_post(_PRICES, **WRITE_ROUTE,
          summary="Add a price period",
          description="A period starting inside the open-ended current period closes it at its start, which "
                      "may not be before the time of the write (409 `history-is-fixed`); any other overlap is "
                      "refused with 409. A period in a past gap, where the model had no price, is a backfill. "
                      "Stored prices are never changed: the closed period is superseded and recorded again with "
                      "its end (a new id), so reads with `known_at` before the write still see it open.")
    async def add_price(
        self, session: DbSession, model_id: SlugPath, data: JSONBody[schemas.PricePeriodCreate],
        provider_id: ProviderPath = None,
    ) -> schemas.PricePeriodOut:
        return render.price(await price_queries.add_price(session, offering_id(provider_id, model_id), data))

    @get(_PRICE, responses=responses(*READ), summary="The effective price at an instant")
    async def effective_price(
        self, read_session: DbSession, model_id: SlugPath, provider_id: ProviderPath = None, at: At = None,
        known_at: listing.KnownAt = None,
    ) -> schemas.EffectivePriceOut:
        instant = parse_instant(at)
        known = listing.instant_or_none(known_at, "known_at")
        found = await price_queries.effective_price(read_session, offering_id(provider_id, model_id), instant, known)
        answer = render.effective_price(found.model_id, instant, found.price)
        answer.known_at = known
        answer.corrections = [schemas.CorrectionRef(id=c.id, reason=c.reason) for c in found.corrections]
        return answer
