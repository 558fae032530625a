"""Bodies of the feed routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from service.api.structs import ModelId, Schema, Slug
from service.catalog.schemas import ActivePromotions, PriceRulesOut, TokenPricesOut


class FeedPrice(Schema):
    model: ModelId
    provider: Slug
    price_id: int
    list: TokenPricesOut
    promotions: ActivePromotions
    effective: TokenPricesOut
    rules: PriceRulesOut


FeedPrices = list[FeedPrice]  # named outside PriceFeed-like bodies whose field `list` shadows the builtin


class PriceFeed(Schema):
    # The instant asked for, or null for "now": so that polling the current prices gives the same bytes (and
    # the same ETag) for as long as the prices stay the same.
    at: datetime | None
    currency: Literal["USD"]
    data: FeedPrices


class Change(Schema):
    seq: int
    kind: str
    recorded_at: datetime
    object: dict[str, Any]


class ChangePage(Schema):
    data: list[Change]
    next_cursor: str
    has_more: bool
