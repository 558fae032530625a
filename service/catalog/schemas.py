"""Request and response bodies of the catalog routes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from litestar.params import KwargDefinition
from msgspec import UNSET, Meta, UnsetType

from service.api.structs import (
    MONEY_IN_PATTERN,
    Day,
    DecimalText,
    Instant,
    ModelId,
    Money,
    MoneyIn,
    MoneyInOrNull,
    MoneyOrNull,
    Name,
    Schema,
    Slug,
    Source,
)
from service.pricing.errors import InvalidAmount, InvalidValue
from service.pricing.money import MAX_PRICE, parse_decimal
from service.pricing.prices import MORE_PRICES

ContextWindow = Annotated[int, Meta(ge=1, le=1_000_000_000)]
_PERCENT = KwargDefinition(
    description="percent off every token price: above 0, at most 100, at most 4 fractional digits",
    schema_extra={"pattern": MONEY_IN_PATTERN, "examples": ["75"]},
)
PercentOff = Annotated[Decimal, _PERCENT]
PercentOffOrUnset = Annotated[Decimal | UnsetType, _PERCENT]


class ProviderOut(Schema):
    id: Slug
    name: str
    created_at: datetime
    updated_at: datetime


class ProviderCreate(Schema):
    id: Slug
    name: Name


class ProviderUpdate(Schema):
    name: Name | UnsetType = UNSET


class ProviderPage(Schema):
    data: list[ProviderOut]
    next_cursor: str | None


class ModelOut(Schema):
    id: ModelId
    provider: Slug
    name: str
    open_weights: bool
    context_window: int | None
    released_on: date | None
    created_at: datetime
    updated_at: datetime


class ModelCreate(Schema):
    id: ModelId
    provider: Slug
    name: Name
    open_weights: bool = False
    context_window: ContextWindow | None = None
    released_on: Day | None = None


class ModelUpdate(Schema):
    provider: Slug | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    open_weights: bool | UnsetType = UNSET
    context_window: ContextWindow | UnsetType | None = UNSET
    released_on: Day | UnsetType | None = UNSET


class ModelPage(Schema):
    data: list[ModelOut]
    next_cursor: str | None


DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["16:30"],
                            description="local time HH:MM")]
ClockEnd = Annotated[str, Meta(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", examples=["00:30"],
                               description="local time HH:MM, or 24:00; at or before `start` means the next day")]
_MULTIPLIER = KwargDefinition(
    description="multiplies every rate: above 0, at most 10, at most 6 fractional digits (0.5 = half price)",
    schema_extra={"pattern": MONEY_IN_PATTERN, "examples": ["0.5"]},
)
MultiplierIn = Annotated[Decimal, _MULTIPLIER]
Multiplier = Annotated[str, Meta(pattern=r"^[0-9]+(\.[0-9]+)?$", examples=["0.5"])]
PromptTokens = Annotated[int, Meta(ge=1, le=1_000_000_000, description="the tier applies to prompts above this size")]
VariantKind = Literal["batch", "flex", "priority"]
WindowName = Annotated[str, Meta(min_length=1, max_length=100, examples=["off-peak"])]
ExcludedDates = Annotated[list[Day], Meta(max_length=1000, description="local dates on which the window does not open")]
Timezone = Annotated[str, Meta(min_length=1, max_length=64, examples=["UTC", "Asia/Shanghai"])]


RULES_DESCRIPTION = (
    "Pricing rules; omitted or empty lists: a flat rate. A request is charged: the rates of the highest context "
    "tier whose above_prompt_tokens is below the prompt size (input_tokens + cache_write_tokens), else the "
    "period's; times the multiplier of the variant asked for (processing batch, service_tier flex or priority; "
    "422 where the price offers none); times the multiplier of the first time window, in list order, open at "
    "requested_at (on the local clock of its timezone, from start to end on its days; an end at or before start "
    "runs into the next day; excluded_dates are local dates on which it does not open); less promotions. Rules "
    "belong to their period: a rule that changes is a new period."
)


class ContextTierIn(Schema):
    above_prompt_tokens: PromptTokens
    input_per_mtok: MoneyIn
    output_per_mtok: MoneyIn
    cache_read_per_mtok: MoneyInOrNull = None
    cache_write_per_mtok: MoneyInOrNull = None


class TimeWindowIn(Schema):
    name: WindowName
    days: Annotated[list[DayName], Meta(min_length=1, max_length=7)]
    start: Clock
    end: ClockEnd
    multiplier: MultiplierIn
    timezone: Timezone = "UTC"
    excluded_dates: ExcludedDates = []


class VariantIn(Schema):
    kind: Annotated[VariantKind, Meta(description="batch processing, or the flex or priority service tier")]
    multiplier: MultiplierIn


class PriceRulesIn(Schema):
    """Rules that make a period more than a flat rate. Omitted or empty lists: a flat rate."""

    context_tiers: Annotated[list[ContextTierIn], Meta(max_length=20)] = []
    time_windows: Annotated[list[TimeWindowIn], Meta(max_length=20)] = []
    variants: Annotated[list[VariantIn], Meta(max_length=3)] = []


class ContextTierOut(Schema):
    above_prompt_tokens: int
    input_per_mtok: Money
    output_per_mtok: Money
    cache_read_per_mtok: MoneyOrNull
    cache_write_per_mtok: MoneyOrNull


class TimeWindowOut(Schema):
    name: str
    timezone: str
    days: list[DayName]
    start: str
    end: str
    excluded_dates: list[Day]
    multiplier: Multiplier


class VariantOut(Schema):
    kind: VariantKind
    multiplier: Multiplier


class PriceRulesOut(Schema):
    """A request is charged: the highest context tier its prompt is above (else the period's rates), times its
    variant's multiplier, times the multiplier of the first time window open at the request's instant, less
    promotions. Empty lists: a flat rate."""

    context_tiers: list[ContextTierOut]
    time_windows: list[TimeWindowOut]
    variants: list[VariantOut]


# per_request is USD per request, the others per 1M tokens; unknown ones are left out of answers (docs/api.md).
PerRequestOrUnknown = MoneyOrNull
MorePriceOrUnknown = MoneyOrNull
BACKFILL_DESCRIPTION = ("true when it starts before it was recorded: it filled a past stretch where the model had "
                        "no price (docs/security.md, History)")


class PricePeriodOut(Schema, omit_defaults=True):
    id: int
    model: ModelId
    valid_from: datetime
    valid_to: datetime | None
    currency: Literal["USD"]
    input_per_mtok: Money
    output_per_mtok: Money
    cache_read_per_mtok: MoneyOrNull
    cache_write_per_mtok: MoneyOrNull
    source: str
    recorded_at: datetime
    backfill: Annotated[bool, Meta(description=BACKFILL_DESCRIPTION)]
    rules: Annotated[PriceRulesOut, Meta(description=RULES_DESCRIPTION)]
    correction_id: Annotated[int | None, Meta(description="the correction that recorded this period, if one did")]
    per_request: PerRequestOrUnknown = None
    audio_input_per_mtok: MorePriceOrUnknown = None
    audio_output_per_mtok: MorePriceOrUnknown = None
    image_input_per_mtok: MorePriceOrUnknown = None
    image_output_per_mtok: MorePriceOrUnknown = None
    cache_write_1h_per_mtok: MorePriceOrUnknown = None


class PricePeriodCreate(Schema):
    valid_from: Instant
    input_per_mtok: MoneyIn
    output_per_mtok: MoneyIn
    source: Source
    valid_to: Instant | None = None
    currency: Literal["USD"] = "USD"
    cache_read_per_mtok: MoneyInOrNull = None
    cache_write_per_mtok: MoneyInOrNull = None  # the default (five-minute) cache write
    rules: Annotated[PriceRulesIn | None, Meta(description=RULES_DESCRIPTION)] = None
    per_request: MoneyInOrNull = None
    audio_input_per_mtok: MoneyInOrNull = None
    audio_output_per_mtok: MoneyInOrNull = None
    image_input_per_mtok: MoneyInOrNull = None
    image_output_per_mtok: MoneyInOrNull = None
    cache_write_1h_per_mtok: MoneyInOrNull = None

    def __post_init__(self) -> None:
        for field in ("input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok",
                      *MORE_PRICES):
            value = getattr(self, field)
            if value is not None:
                setattr(self, field, parse_decimal(value, field=field, max_value=MAX_PRICE))
        _check_period(self.valid_from, self.valid_to)


class PricePeriodPage(Schema):
    data: list[PricePeriodOut]
    next_cursor: str | None


class PromotionOut(Schema):
    id: int
    name: str
    model: ModelId
    percent_off: DecimalText
    valid_from: datetime
    valid_to: datetime | None
    source: str
    backfill: Annotated[bool, Meta(description=BACKFILL_DESCRIPTION)]


class PromotionCreate(Schema):
    name: Name
    model: ModelId
    percent_off: PercentOff
    valid_from: Instant
    source: Source
    valid_to: Instant | None = None

    def __post_init__(self) -> None:
        self.percent_off = check_percent(self.percent_off)
        _check_period(self.valid_from, self.valid_to)


class PromotionUpdate(Schema):
    name: Name | UnsetType = UNSET
    percent_off: PercentOffOrUnset = UNSET
    valid_from: Instant | UnsetType = UNSET
    valid_to: Instant | UnsetType | None = UNSET
    source: Source | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.percent_off is not UNSET:
            self.percent_off = check_percent(self.percent_off)


class PromotionPage(Schema):
    data: list[PromotionOut]
    next_cursor: str | None


class TokenPricesOut(Schema, omit_defaults=True):
    input_per_mtok: Money
    output_per_mtok: Money
    cache_read_per_mtok: MoneyOrNull
    cache_write_per_mtok: MoneyOrNull
    per_request: PerRequestOrUnknown = None
    audio_input_per_mtok: MorePriceOrUnknown = None
    audio_output_per_mtok: MorePriceOrUnknown = None
    image_input_per_mtok: MorePriceOrUnknown = None
    image_output_per_mtok: MorePriceOrUnknown = None
    cache_write_1h_per_mtok: MorePriceOrUnknown = None


class ActivePromotion(Schema):
    id: int
    name: str
    percent_off: DecimalText


# Named outside EffectivePriceOut, whose field `list` would shadow the builtin inside its body.
ActivePromotions = list[ActivePromotion]


class CorrectionRef(Schema):
    id: int
    reason: str


CorrectionRefs = list[CorrectionRef]  # named outside EffectivePriceOut, like ActivePromotions


class EffectivePriceOut(Schema, omit_defaults=True):
    """omit_defaults: `known_at` and `corrections` appear only on `GET /v1/models/{id}/price`, where they are read;
    estimates embed this struct unchanged, byte for byte."""

    model: ModelId
    at: datetime
    currency: Literal["USD"]
    price_id: int
    list: TokenPricesOut
    promotions: ActivePromotions
    effective: TokenPricesOut
    rules: Annotated[PriceRulesOut, Meta(description="the period's pricing rules, before promotions (which apply on "
                                                  "top): " + RULES_DESCRIPTION)]
    known_at: Annotated[datetime | None, Meta(
        description="the record time the answer was read at, when asked for (docs/history.md)")] = None
    corrections: Annotated[CorrectionRefs | None, Meta(
        description="the corrections known then whose stretch covers `at`: the answer is built from corrected "
                    "data (docs/history.md)")] = None


def _check_period(valid_from: datetime, valid_to: datetime | None) -> None:
    if valid_to is not None and valid_to <= valid_from:
        raise InvalidValue("valid_to must be later than valid_from: periods are half-open [valid_from, valid_to)",
                           "valid_to")


def check_percent(value: Decimal) -> Decimal:
    percent = parse_decimal(value, field="percent_off", max_fraction_digits=4, max_value=Decimal(100))
    if percent == 0:
        raise InvalidAmount("percent_off must be greater than 0", "percent_off")
    return percent
