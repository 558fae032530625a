"""Corrections: `POST /v1/models/{id}/corrections` replaces what the catalog says about a past stretch, audited;
`POST /v1/promotions/{id}/corrections` corrects one promotion by its id; `GET /v1/corrections` lists them
(docs/history.md)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import JSONBody, Parameter

from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, page_of
from service.api.problems import READ, responses
from service.api.structs import IdPath, ProviderPath, SlugPath, offering_id
from service.auth.scopes import CORRECT_ROUTE
from service.catalog import corrections, listing, render
from service.catalog.correction_schemas import (
    CorrectedPrices,
    CorrectedPromotions,
    CorrectionCreate,
    CorrectionOut,
    CorrectionPage,
    PromotionCorrection,
)
from service.catalog.promotion_corrections import correct_promotion
from service.db.engine import DbSession

_PATHS = ["/models/{model_id:str}/corrections", "/models/{provider_id:str}/{model_id:str}/corrections"]
_INSTANT = "RFC 3339 with offset, or a date (midnight UTC)"


def _out(found: corrections.Corrected) -> CorrectionOut:
    row = found.correction
    return CorrectionOut(
        id=row.id, model=row.model_id, reason=row.reason, key_id=row.key_id, recorded_at=row.recorded_at,
        valid_from=row.valid_from, valid_to=row.valid_to,
        prices=CorrectedPrices(old=[render.price(p) for p in found.old_prices],
                               new=[render.price(p) for p in found.new_prices]),
        promotions=CorrectedPromotions(old=[render.promotion(p) for p in found.old_promotions],
                                       new=[render.promotion(p) for p in found.new_promotions]))


class CorrectionController(Controller):
    path = "/v1"
    tags = ["catalog"]

    @idempotent_post(_PATHS, **CORRECT_ROUTE, summary="Correct a model's past",
                     description="Replaces what the catalog says about the stretch [valid_from, valid_to) of valid "
                                 "time: the model's prices there when `prices` is given, its promotions when "
                                 "`promotions` is. The rows it replaces are superseded, never changed, and the new "
                                 "ones recorded at the same instant; `reason` is required and the key is recorded. "
                                 "Needs the scope `catalog:correct`. Answers with the old and new periods.")
    async def correct(
        self, request: Request[Any, Any, Any], session: DbSession, model_id: SlugPath,
        data: JSONBody[CorrectionCreate], provider_id: ProviderPath = None,
    ) -> CorrectionOut:
        key_id = int(request.scope["state"]["api_key_id"])  # set by service.http.access once the key is checked
        return _out(await corrections.correct(session, offering_id(provider_id, model_id), data, key_id))

    @idempotent_post("/promotions/{promotion_id:int}/corrections", **CORRECT_ROUTE,
                     summary="Correct one promotion's past",
                     description="What one promotion really was: the fields given replace its own, or "
                                 "`withdrawn: true` says it never was. Made as a correction of its model over the "
                                 "stretch the promotion covered before or covers after (the same audit, record "
                                 "time and answer as `POST /v1/models/{id}/corrections`); the model's other "
                                 "promotions in that stretch are recorded again as they were. A promotion that a "
                                 "later write superseded is a 404 naming what replaced it. Needs the scope "
                                 "`catalog:correct`.")
    async def correct_promotion(
        self, request: Request[Any, Any, Any], session: DbSession, promotion_id: IdPath,
        data: JSONBody[PromotionCorrection],
    ) -> CorrectionOut:
        key_id = int(request.scope["state"]["api_key_id"])  # set by service.http.access once the key is checked
        return _out(await correct_promotion(session, promotion_id, data, key_id))

    @get("/corrections", responses=responses(404, 422, 503), summary="List corrections, oldest first",
         description="Filters combine: `model` (one model's or offering's), `since` and `until` (recorded at or "
                     "after, and before, these instants), `known_at` (those known at that record time: recorded at "
                     "or before it, docs/history.md).")
    async def list_corrections(
        self, session: DbSession, limit: Limit = 50, cursor: Cursor = None,
        model: Annotated[str | None, Parameter(max_length=201, description="only this model's")] = None,
        since: Annotated[str | None, Parameter(max_length=64, description=f"recorded at or after: {_INSTANT}")] = None,
        until: Annotated[str | None, Parameter(max_length=64, description=f"recorded before: {_INSTANT}")] = None,
        known_at: listing.KnownAt = None,
    ) -> CorrectionPage:
        found = await corrections.list_corrections(
            session, model=model, since=listing.instant_or_none(since, "since"),
            until=listing.instant_or_none(until, "until"), after=decode_cursor(cursor, int), limit=limit,
            known_at=listing.instant_or_none(known_at, "known_at"))
        page, next_cursor = page_of(found, limit, "id")
        return CorrectionPage(data=[_out(item) for item in page], next_cursor=next_cursor)

    @get("/corrections/{correction_id:int}", responses=responses(*READ), summary="Read a correction")
    async def get_correction(self, session: DbSession, correction_id: IdPath) -> CorrectionOut:
        return _out(await corrections.get_correction(session, correction_id))
