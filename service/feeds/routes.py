"""/v1/feeds: for partners with a feeds:read key. Conditional GETs cost nothing when nothing changed."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.params import Parameter

from service.api.caching import settled
from service.api.conditional import NOT_MODIFIED, conditional, matches
from service.api.instants import parse_instant
from service.api.pagination import Cursor, Limit, decode_cursor, encode_cursor
from service.api.structs import SLUG_PATTERN
from service.auth.scopes import FEED_ROUTE
from service.db.engine import DbSession
from service.feeds import litellm, schemas
from service.feeds.cache import FeedBody, FeedCache, chosen_encoding, next_price_change
from service.feeds.changes import changes_after
from service.feeds.price_feed import CSV_COLUMNS, as_csv, price_feed, price_feed_json
from service.snapshot.catalog_snapshot import CatalogSnapshot, snapshot_known_at
from service.snapshot.keeper import current_snapshot

At = Annotated[str | None, Parameter(max_length=64, description="RFC 3339 instant or a date; default now")]
KnownAt = Annotated[str | None, Parameter(max_length=64, description=(
    "the feed as the catalog said at this record time, before later corrections, read from the database "
    "(docs/history.md); not cached by the service"))]


@dataclass
class AlsoCsv(Operation):
    """The price feed's 200 comes as JSON or, when asked for, as CSV: the spec says both."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content["text/csv"] = OpenAPIMediaType(schema=OpenAPISchema(
                type=OpenAPIType.STRING, description=f"a header row ({', '.join(CSV_COLUMNS)}), then one row a model"))


_FEEDS = FeedCache()


async def _feed_response(
    request: Request, snapshot: CatalogSnapshot, key: Hashable, instant: datetime, asked: datetime | None,
    media_type: str, render: Callable[[], bytes],
) -> Response[bytes]:
    """The feed in the best encoding the client takes, or a 304: both from the cache when nothing changed."""

    def made() -> FeedBody:
        return FeedBody(render(), media_type, None if asked else next_price_change(snapshot, instant))

    feed = _FEEDS.body(snapshot, key, instant, made)
    encoding = chosen_encoding(request.headers.get("accept-encoding", ""))
    headers = {"Cache-Control": _cache_control(asked),
               "Vary": "Accept, Accept-Encoding, Authorization", "ETag": feed.etag(encoding)}
    if matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(b"", status_code=304, headers=headers)
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    return Response(await feed.encoded(encoding), media_type=media_type, headers=headers)


async def _known_then_response(
    request: Request, snapshot: CatalogSnapshot, known_at: datetime, instant: datetime, asked: datetime | None,
    media_type: str, render: Callable[[CatalogSnapshot], bytes],
) -> Response[bytes]:
    """The feed as known at `known_at`, from the database: cached for good by clients only once nothing can change
    it any more (service.api.caching), like any past instant's feed otherwise."""
    async with request.app.state.sessionmaker() as session, session.begin():
        then = await snapshot_known_at(session, snapshot, known_at)
    fixed = asked is not None and settled(known_at)
    cache = "private, max-age=31536000, immutable" if fixed else _cache_control(asked)
    return conditional(request, render(then), media_type,
                       {"Cache-Control": cache, "Vary": "Accept, Accept-Encoding, Authorization"})


def _cache_control(asked: datetime | None) -> str:
    # A past instant's answer only changes if history is corrected; "now" must be revalidated each time.
    return "private, max-age=300" if asked else "private, no-cache"


class FeedController(Controller):
    path = "/v1/feeds"
    tags = ["feeds"]

    @get("/prices", **{**FEED_ROUTE, "responses": {**FEED_ROUTE["responses"], **NOT_MODIFIED}},
         operation_class=AlsoCsv,
         summary="Every model's list price, promotions and effective price at an instant (JSON or CSV)",
         description="CSV with `Accept: text/csv` or `format=csv`. Strong `ETag`; `If-None-Match` gets a 304.")
    async def prices(
        self, request: Request, at: At = None,
        format: Annotated[Literal["json", "csv"] | None, Parameter(description="overrides Accept")] = None,
        known_at: KnownAt = None,
    ) -> Response[schemas.PriceFeed]:
        snapshot, instant = current_snapshot(request), parse_instant(at)
        asked = instant if at else None
        wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
        media_type = "text/csv" if wants_csv else "application/json"

        def render(catalog: CatalogSnapshot = snapshot) -> bytes:
            if wants_csv:
                return as_csv(price_feed(catalog, instant, asked))
            return price_feed_json(catalog, instant, asked)

        if known_at is not None:
            return await _known_then_response(  # type: ignore[return-value]
                request, snapshot, parse_instant(known_at, field="known_at"), instant, asked, media_type, render)
        # The declared type documents the body; the body itself is encoded once per snapshot (service.feeds.cache).
        return await _feed_response(  # type: ignore[return-value]
            request, snapshot, ("prices", media_type, asked), instant, asked, media_type, render)

    @get("/changes", **FEED_ROUTE,
         summary="The append-only log of catalog changes, in commit order",
         description="Follow `next_cursor`: every committed change appears exactly once, in commit order, even "
                     "while writers commit. Unlike the other lists, `next_cursor` is set at the end too, so you "
                     "can poll from it; `has_more` says whether more changes are waiting now.")
    async def changes(
        self, read_session: DbSession, cursor: Cursor = None,
        limit: Limit = 50,
    ) -> schemas.ChangePage:
        after = decode_cursor(cursor, int) or 0
        rows = await changes_after(read_session, after, limit + 1)
        page = rows[:limit]
        last = page[-1].seq if page else after
        return schemas.ChangePage(data=page, next_cursor=encode_cursor(last), has_more=len(rows) > limit)

    @get("/litellm", **{**FEED_ROUTE, "responses": {**FEED_ROUTE["responses"], **NOT_MODIFIED}},
         summary="The effective prices at an instant in LiteLLM's model_prices_and_context_window.json shape",
         description="Per-token JSON numbers, written exactly. Load with `litellm.register_model(feed)`; "
                     "pass `prefix` to keep the keys apart from LiteLLM's bundled entries. Promotions active at "
                     "`at` are applied to every number. Pricing rules are exported as far as LiteLLM can express "
                     "them: context tiers at whole thousands of tokens (`input_cost_per_token_above_200k_tokens`, "
                     "...), batch, flex and priority rates (`_batches`, `_flex`, `_priority`, also above a tier "
                     "for flex and priority), and one `off_peak_pricing` for discount windows in UTC that open "
                     "every day. Left out of the export: windows on some weekdays only, in a timezone other than "
                     "UTC, with excluded dates or with a multiplier above 1 (peak surcharges); tiers at "
                     "thresholds that are not a whole number of thousands; and more than one off-peak rate. "
                     "Estimates and the price feed (`/v1/feeds/prices`, whose `rules` carries everything) "
                     "price them.")
    async def litellm_feed(
        self, request: Request, at: At = None,
        prefix: Annotated[str | None, Parameter(max_length=50, pattern=SLUG_PATTERN)] = None,
        known_at: KnownAt = None,
    ) -> Response[dict[str, dict[str, object]]]:
        snapshot, instant = current_snapshot(request), parse_instant(at)
        asked = instant if at else None

        def render(catalog: CatalogSnapshot = snapshot) -> bytes:
            return litellm.encode(litellm.litellm_map(catalog, instant, prefix))

        if known_at is not None:
            return await _known_then_response(  # type: ignore[return-value]
                request, snapshot, parse_instant(known_at, field="known_at"), instant, asked, "application/json",
                render)
        return await _feed_response(  # type: ignore[return-value]
            request, snapshot, ("litellm", prefix, asked), instant, asked, "application/json", render)
