"""Request and response bodies of the estimate routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar.params import KwargDefinition
from msgspec import UNSET, Meta, UnsetType

from service.api.problems import Problem
from service.api.structs import MONEY_IN_PATTERN, DecimalText, ModelId, ModelRef, Money, Schema
from service.catalog.schemas import (
    Clock,
    ClockEnd,
    CorrectionRefs,
    DayName,
    EffectivePriceOut,
    TokenPricesOut,
)
from service.pricing.usage import MAX_TOKENS

Tokens = Annotated[int, Meta(ge=0, le=MAX_TOKENS, description="a token count")]
Sessions = Annotated[int, Meta(ge=0, le=1_000_000_000_000)]
_FACTOR = KwargDefinition(
    description="expected attempts per session, from 1 to 10, as a decimal string (1.8 = 80% retries) with at most "
                "12 decimal places",
    schema_extra={"pattern": MONEY_IN_PATTERN, "examples": ["1.8"]},
)
RetryFactor = Annotated[Decimal, _FACTOR]
_SHARE = KwargDefinition(description="the part of the sessions, above 0 and at most 1, with at most 12 decimal places",
                         schema_extra={"pattern": MONEY_IN_PATTERN, "examples": ["0.25"]})
Share = Annotated[Decimal, _SHARE]
_AMOUNT = KwargDefinition(description="a decimal string from 0 to 10^12 with at most 12 decimal places",
                          schema_extra={"pattern": MONEY_IN_PATTERN})
Amount = Annotated[Decimal, _AMOUNT]
At = Annotated[str, Meta(max_length=64, description="RFC 3339 instant with offset, or a date; default now")] | None
KnownAtValue = Annotated[str, Meta(max_length=64)]
KnownAt = Annotated[str, Meta(max_length=64, description=(
    "price as the catalog said at this record time (RFC 3339 with offset, or a date), before later corrections; "
    "read from the database (docs/history.md). Default: what is known now"))] | None
Month = Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2026-05"])]
Timezone = Annotated[str, Meta(max_length=64, examples=["UTC", "Europe/Berlin"])]
RequestedAt = Annotated[str, Meta(
    max_length=64, description="the instant the request runs, which decides time-of-day windows "
                               "(RFC 3339 with offset, or a date); default `at`, and `at` defaults to it")] | None
Processing = Annotated[Literal["standard", "batch"], Meta(description="batch: the price's batch variant")]
ServiceTier = Annotated[Literal["standard", "flex", "priority"], Meta(
    description="flex or priority: the price's variant of that name; 422 where the price offers none")]


Requests = Annotated[int, Meta(ge=0, le=MAX_TOKENS, description=(
    "requests in one session, each charged the price's per_request fee (default 0: none charged, with a warning "
    "where the price has a fee)"))]
_PART = "part of {whole} that is {what} (counted inside {whole}, as OpenAI, Anthropic and LiteLLM report it)"
AudioInputTokens = Annotated[int, Meta(ge=0, le=MAX_TOKENS, description=_PART.format(
    whole="input_tokens, cache hits excluded,", what="audio, charged at audio_input_per_mtok"))]
AudioOutputTokens = Annotated[int, Meta(ge=0, le=MAX_TOKENS, description=_PART.format(
    whole="output_tokens", what="audio, charged at audio_output_per_mtok"))]
ImageInputTokens = Annotated[int, Meta(ge=0, le=MAX_TOKENS, description=_PART.format(
    whole="input_tokens, cache hits excluded,", what="image, charged at image_input_per_mtok"))]
ImageOutputTokens = Annotated[int, Meta(ge=0, le=MAX_TOKENS, description=_PART.format(
    whole="output_tokens", what="image, charged at image_output_per_mtok"))]
CacheWrite1hTokens = Annotated[int, Meta(ge=0, le=MAX_TOKENS, description=_PART.format(
    whole="cache_write_tokens", what="written for one hour, charged at cache_write_1h_per_mtok"))]


class EstimateRequest(Schema):
    model: ModelRef
    input_tokens: Tokens
    output_tokens: Tokens
    cached_input_tokens: Tokens = 0
    cache_write_tokens: Tokens = 0
    requests: Requests = 0
    audio_input_tokens: AudioInputTokens = 0
    audio_output_tokens: AudioOutputTokens = 0
    image_input_tokens: ImageInputTokens = 0
    image_output_tokens: ImageOutputTokens = 0
    cache_write_1h_tokens: CacheWrite1hTokens = 0
    sessions: Sessions = 1
    retry_factor: RetryFactor = Decimal(1)
    at: At = None
    requested_at: RequestedAt = None
    processing: Processing = "standard"
    service_tier: ServiceTier = "standard"
    known_at: KnownAt = None


# Present only when the request sends requests, audio, image or one-hour cache write tokens; then input, output and
# cache_write are the text tokens' and five-minute writes' part (docs/api.md).
_MORE_COST = Money | None


class Cost(Schema, omit_defaults=True):
    input: Money
    cached_input: Money
    output: Money
    cache_write: Money
    per_session: Money
    total: Money
    requests: _MORE_COST = None
    audio_input: _MORE_COST = None
    audio_output: _MORE_COST = None
    image_input: _MORE_COST = None
    image_output: _MORE_COST = None
    cache_write_1h: _MORE_COST = None


class AppliedRules(Schema):
    """Which of the price's rules set `rates`: null where none did."""

    context_tier: Annotated[int | None, Meta(description="above_prompt_tokens of the tier charged")]
    variant: Literal["batch", "flex", "priority"] | None
    time_window: Annotated[str | None, Meta(description="name of the time window open at requested_at")]


class EstimateResult(Schema):
    model: ModelId
    at: datetime
    requested_at: datetime
    currency: Literal["USD"]
    price: EffectivePriceOut
    rates: Annotated[TokenPricesOut, Meta(description="what this request is charged per 1M tokens, after every "
                                                   "rule and promotion; equals price.effective for a flat rate")]
    applied_rules: AppliedRules
    cost: Cost
    sessions: int
    retry_factor: DecimalText
    warnings: list[str]


_ITEMS = KwargDefinition(
    description="up to `ESTIMATE_MAX_BATCH_ITEMS` estimate requests (10,000 by default, the most it may be set "
                "to; see EstimateRequest); more is refused with 413 (not expressed as maxItems, which would make it a "
                "422, and the limit is a setting). Each item is checked on its own: an invalid item, even one "
                "that is not an object, fails alone, with its problem in its place in `data`, so any JSON value "
                "is accepted here",
)


class BatchRequest(Schema):
    # Items stay undecoded here so that a bad item becomes that item's problem, not the whole batch's.
    items: Annotated[list[Any], _ITEMS]
    known_at: Annotated[KnownAtValue | None, Meta(description=(
        "every item's `known_at` unless the item has its own: the items priced as the catalog said then"))] = None


class BatchItem(Schema, omit_defaults=True):
    ok: bool
    result: EstimateResult | None = None
    error: Annotated[Problem | None, Meta(description=(
        "the item's own problem, its detail prefixed with `items[i]`; for a 422, `errors` names the fields "
        "relative to the item (`body` for the item as a whole)"))] = None


class BatchResult(Schema):
    data: list[BatchItem]
    total: Money
    succeeded: int
    failed: int


class CompareRequest(Schema):
    baseline: ModelRef
    input_tokens: Tokens
    output_tokens: Tokens
    models: Annotated[list[ModelRef], Meta(max_length=1000)] | None = None
    offerings_of: Annotated[ModelRef | None, Meta(description=(
        "rank every offering of this model priced at `at` (instead of `models`): who sells it cheapest"))] = None
    cached_input_tokens: Tokens = 0
    cache_write_tokens: Tokens = 0
    sessions: Sessions = 1
    retry_factor: RetryFactor = Decimal(1)
    at: At = None
    requested_at: RequestedAt = None
    processing: Processing = "standard"
    service_tier: ServiceTier = "standard"
    known_at: KnownAt = None


class CompareRow(Schema):
    model: ModelId
    rates: TokenPricesOut
    applied_rules: AppliedRules
    cost: Cost
    input_ratio: DecimalText | None
    output_ratio: DecimalText | None
    total_ratio: DecimalText | None
    warnings: list[str]


# Present only on an answer asked with `known_at` (docs/history.md): UNSET fields are left out of the JSON, so
# every other answer keeps its bytes.
KnownAtOut = Annotated[datetime | UnsetType, Meta(description="the record time the answer was priced as known at")]
CorrectionsOut = Annotated[CorrectionRefs | UnsetType, Meta(description=(
    "with `known_at`: the corrections known then that cover what was priced, each with its id and reason"))]


class CompareResult(Schema):
    baseline: ModelId
    at: datetime
    rows: list[CompareRow]
    known_at: KnownAtOut = UNSET
    corrections: CorrectionsOut = UNSET


class MixItem(Schema):
    model: ModelRef
    share: Share




class UniformDistribution(Schema, tag="uniform", tag_field="kind"):
    """Evenly over the whole month."""


class OfficeHours(Schema, tag="office_hours", tag_field="kind"):
    """Monday to Friday 09:00-17:00 in `timezone` (the request's when left out)."""

    timezone: Timezone | None = None


class Hours(Schema, tag="hours", tag_field="kind"):
    """The `days` (every day when left out), from `start` to `end` local time in `timezone` (the request's when
    left out). An `end` at or before `start` runs into the next day."""

    start: Clock
    end: ClockEnd
    days: Annotated[list[DayName], Meta(min_length=1, max_length=7)] | None = None
    timezone: Timezone | None = None


# How the sessions fall over the day, by `kind`; sessions are spread evenly over the hours chosen.
Distribution = UniformDistribution | OfficeHours | Hours


class MonthlyUsage(Schema):
    """What a month of sessions is, whichever models price it."""

    input_tokens: Tokens
    output_tokens: Tokens
    sessions_per_month: Sessions
    cached_input_tokens: Tokens = 0
    cache_write_tokens: Tokens = 0
    retry_factor: RetryFactor = Decimal(1)
    month: Month | None = None
    timezone: Timezone = "UTC"
    at: At = None
    processing: Processing = "standard"
    service_tier: ServiceTier = "standard"
    distribution: Annotated[Distribution | None, Meta(description=(
        "when in the day the sessions come (needs `month`): {kind: uniform} (default) spreads them evenly over "
        "the month; {kind: office_hours, timezone} over Monday to Friday 09:00-17:00; {kind: hours, days, start, "
        "end, timezone} over those local hours. Each stretch is priced at its own rates, time windows included"
    ))] = None
    known_at: KnownAt = None


class MonthlyRequest(MonthlyUsage, kw_only=True):
    model: ModelRef | None = None
    mix: Annotated[list[MixItem], Meta(min_length=1, max_length=100)] | None = None


class MonthlyModelsRequest(MonthlyUsage, kw_only=True):
    models: Annotated[list[ModelRef], Meta(min_length=1, description=(
        "the models to price the month on, each on its own (at most `ESTIMATE_MAX_MODELS`, 10,000 by default, "
        "each once; more is a 413)"))]


class MonthlyPeriodOut(Schema, rename={"from_": "from"}):  # `from` is a Python keyword
    model: ModelId
    from_: Annotated[datetime, Meta(description="start of the stretch (inclusive)")]
    to: datetime | None
    sessions: DecimalText
    per_session: Money
    cost: Money
    price_id: int
    rates: TokenPricesOut
    applied_rules: AppliedRules


class MonthlyResult(Schema):
    month: str | None
    timezone: str
    sessions: int
    total: Money
    periods: list[MonthlyPeriodOut]
    warnings: list[str]
    distribution: Distribution | None = None
    known_at: KnownAtOut = UNSET
    corrections: CorrectionsOut = UNSET


class MonthlyModelItem(Schema, omit_defaults=True):
    model: ModelRef
    ok: bool
    result: MonthlyResult | None = None
    error: Annotated[Problem | None, Meta(description=(
        "the model's own problem (unknown model, no price for the month, a variant it does not offer), its "
        "detail prefixed with `models[i]`"))] = None


class MonthlyModelsResult(Schema):
    data: Annotated[list[MonthlyModelItem], Meta(description="one item a model, in the order asked")]
    succeeded: int
    failed: int


class SelfHostRequest(Schema):
    gpu_hourly_usd: Amount
    gpus: Annotated[int, Meta(ge=1, le=100_000)]
    tokens_per_second: Amount
    utilization: Share
    compare_with: ModelRef | None = None
    monthly_tokens: Annotated[int, Meta(ge=0, le=MAX_TOKENS)] | None = None
    input_tokens: Tokens = 50_000
    output_tokens: Tokens = 20_000
    at: At = None


class SelfHostComparison(Schema):
    model: ModelId
    api_per_mtok: Money
    break_even_tokens: DecimalText | None
    api_monthly_cost: Money | None
    price_id: int


class SelfHostResult(Schema):
    cost_per_mtok: Money
    monthly_cost: Money
    monthly_capacity_tokens: DecimalText
    compare_with: SelfHostComparison | None


class OfferingRow(Schema):
    offering: ModelId
    provider: str
    maker: Annotated[bool, Meta(description="true for the maker's own offering (a bare id)")]
    estimate: EstimateResult | None
    problem: Annotated[str | None, Meta(description="why there is no estimate: no price at `at`, or no such "
                                                    "variant")] = None


class OfferingsResult(Schema):
    model: str
    at: datetime
    offerings: Annotated[list[OfferingRow], Meta(description="cheapest first; offerings without an estimate last")]
