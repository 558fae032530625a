"""/v1/promotions: dated discounts on a model's price."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch
from litestar.params import JSONBody, Parameter

from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, page_of
from service.api.preconditions import IfMatch, with_etag
from service.api.problems import READ, responses
from service.api.structs import IdPath
from service.auth.scopes import CHANGE_ROUTE, DELETE_ROUTE, WRITE_ROUTE
from service.catalog import list_queries, listing, price_queries, render, schemas
from service.db.engine import DbSession


class PromotionController(Controller):
    path = "/v1/promotions"
    tags = ["catalog"]

    @get("/", **listing.LIST_ROUTE, summary="List promotions", description=listing.describe(
        "Filters combine: `model`, `provider`, `q` (case-insensitive text in the name or the model's id) and "
        "`active_at` (only promotions in force at that instant); `known_at` lists them as the catalog said at that "
        "record time (docs/history.md), before later corrections."))
    async def list_promotions(
        self, request: Request, list_session: DbSession, limit: Limit = 50, cursor: Cursor = None,
        model: Annotated[str | None, Parameter(max_length=100, description="only this model's")] = None,
        provider: Annotated[str | None, Parameter(
            max_length=100, description="only promotions of this provider's models")] = None,
        q: Annotated[str | None, Parameter(max_length=100, description="case-insensitive text in the name or the "
                                                                          "model's id")] = None,
        active_at: Annotated[str | None, Parameter(
            max_length=64, description="only promotions in force at this instant: RFC 3339 with offset, or a "
                                       "date (midnight UTC)")] = None,
        known_at: listing.KnownAt = None,
    ) -> Response[schemas.PromotionPage]:
        filters = list_queries.PromotionFilters(model, provider, q or None,
                                                listing.instant_or_none(active_at, "active_at"),
                                                listing.instant_or_none(known_at, "known_at"))
        after = decode_cursor(cursor, int)
        etag = listing.list_etag(request, "promotions", after, limit, filters)
        if unchanged := listing.not_modified(request, etag):
            return unchanged
        rows = await list_queries.list_promotions(list_session, filters, after=after, limit=limit)
        page, next_cursor = page_of(rows, limit, "id")
        return listing.page(
            schemas.PromotionPage(data=[render.promotion(r) for r in page], next_cursor=next_cursor), etag)

    @get("/{promotion_id:int}", responses=responses(*READ), summary="Read a promotion")
    async def get_promotion(self, session: DbSession, promotion_id: IdPath) -> Response[schemas.PromotionOut]:
        row = await price_queries.get_promotion(session, promotion_id)
        return with_etag(render.promotion(row), row)

    @idempotent_post("/", **WRITE_ROUTE, summary="Create a promotion")
    async def create_promotion(
        self, session: DbSession, data: JSONBody[schemas.PromotionCreate]
    ) -> schemas.PromotionOut:
        return render.promotion(await price_queries.create_promotion(session, data))

    @patch("/{promotion_id:int}", **CHANGE_ROUTE, summary="Change a promotion", description=(
        "A promotion is never changed in place: it is superseded and the changed one recorded as a new promotion, "
        "whose id (and ETag) the answer carries; the old id then answers 404 naming the new one, and reads with "
        "`known_at` before the change still see the old one. Only the future changes: a promotion that has "
        "started may only have its end moved, to now or later (or its source corrected)."))
    async def update_promotion(
        self, session: DbSession, promotion_id: IdPath, data: JSONBody[schemas.PromotionUpdate],
        if_match: IfMatch = None,
    ) -> Response[schemas.PromotionOut]:
        row = await price_queries.update_promotion(session, promotion_id, data, if_match)
        return with_etag(render.promotion(row), row)

    @delete("/{promotion_id:int}", **DELETE_ROUTE, summary="Delete a promotion", description=(
        "Only a promotion still to come. It is superseded, not erased: reads with `known_at` before the delete "
        "still see it, and the change feed logs it as `promotion.deleted`."))
    async def delete_promotion(self, session: DbSession, promotion_id: IdPath, if_match: IfMatch = None) -> None:
        await price_queries.delete_promotion(session, promotion_id, if_match)
