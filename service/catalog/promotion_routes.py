"""/v1/promotions: dated discounts on a model's price."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch
from litestar.params import JSONBody, Parameter

from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, page_of
from service.api.preconditions import IfMatch, with_etag
from service.api.problems import READ, responses
from service.api.structs import IdPath
from service.auth.scopes import CHANGE_ROUTE, DELETE_ROUTE, WRITE_ROUTE
from service.catalog import price_queries, render, schemas
from service.db.engine import DbSession


class PromotionController(Controller):
    path = "/v1/promotions"
    tags = ["catalog"]

    @get("/", responses=responses(422, 503), summary="List promotions")
    async def list_promotions(
        self, session: DbSession, limit: Limit = 50, cursor: Cursor = None,
        model: Annotated[str | None, Parameter(max_length=100, description="only this model's")] = None,
    ) -> schemas.PromotionPage:
        rows = await price_queries.list_promotions(session, after=decode_cursor(cursor, int), limit=limit, model=model)
        page, next_cursor = page_of(rows, limit, "id")
        return schemas.PromotionPage(data=[render.promotion(r) for r in page], next_cursor=next_cursor)

    @get("/{promotion_id:int}", responses=responses(*READ), summary="Read a promotion")
    async def get_promotion(self, session: DbSession, promotion_id: IdPath) -> Response[schemas.PromotionOut]:
        row = await price_queries.get_promotion(session, promotion_id)
        return with_etag(render.promotion(row), row)

    @idempotent_post("/", **WRITE_ROUTE, summary="Create a promotion")
    async def create_promotion(
        self, session: DbSession, data: JSONBody[schemas.PromotionCreate]
    ) -> schemas.PromotionOut:
        return render.promotion(await price_queries.create_promotion(session, data))

    @patch("/{promotion_id:int}", **CHANGE_ROUTE, summary="Change a promotion")
    async def update_promotion(
        self, session: DbSession, promotion_id: IdPath, data: JSONBody[schemas.PromotionUpdate],
        if_match: IfMatch = None,
    ) -> Response[schemas.PromotionOut]:
        row = await price_queries.update_promotion(session, promotion_id, data, if_match)
        return with_etag(render.promotion(row), row)

    @delete("/{promotion_id:int}", **DELETE_ROUTE,
            summary="Delete a promotion")
    async def delete_promotion(self, session: DbSession, promotion_id: IdPath, if_match: IfMatch = None) -> None:
        await price_queries.delete_promotion(session, promotion_id, if_match)
