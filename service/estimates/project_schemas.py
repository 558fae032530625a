"""Request and response bodies of POST /v1/estimate/project."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.api.structs import DecimalText, ModelId, ModelRef, Money, MoneyInOrNull, Schema, Slug
from service.catalog.assumption_schemas import AssumptionUsed, Shares
from service.estimates.schemas import At

Complexity = Literal["simple", "moderate", "complex"]


class ProjectIn(Schema, kw_only=True):
    """What is built: a size (its complexity mix and context), a number of features, and the tool used."""

    size: Slug
    features: Annotated[int, Meta(ge=0, le=1_000_000, description="features to build")]
    tooling: Slug
    mix: Shares | None = None  # overrides the size's mix; its shares sum to 1


class HybridStrategy(Schema, kw_only=True, tag="hybrid", tag_field="kind"):
    """Draft every feature on one model, then review a share of each complexity's features on another."""

    draft: ModelRef
    review: ModelRef
    review_share: Shares = msgspec.field(default_factory=lambda: Shares(complex=Decimal(1)))


class SelfHostStrategy(Schema, kw_only=True, tag="self-host", tag_field="kind"):
    """Run the project on a self-host profile's node, at its utilization or at the one given."""

    profile: Slug
    utilization: MoneyInOrNull = None  # above 0, at most 1


Strategy = HybridStrategy | SelfHostStrategy


class ProjectEstimateRequest(Schema, kw_only=True):
    project: ProjectIn
    models: Annotated[list[ModelRef], Meta(max_length=10_000)] | None = None
    provider: Slug | None = None
    all_models: bool = False
    at: At = None
    strategies: Annotated[list[Strategy], Meta(max_length=20)] = []
    baseline: ModelRef | None = None  # ratios against this plan; default the cheapest
    # false: each model's `by_complexity` is left empty, which halves the work of an answer over thousands of
    # offerings; the plans, totals, sessions and tokens are the same.
    breakdown: bool = True


class BoundsOut(Schema, kw_only=True):
    low: DecimalText
    expected: DecimalText
    high: DecimalText


class RangeOut(Schema, kw_only=True):
    low: DecimalText
    high: DecimalText


class ComplexityOut(Schema, kw_only=True):
    complexity: Complexity
    features: DecimalText
    sessions: DecimalText
    retry_factor: RangeOut
    cost: BoundsOut


class SessionOut(Schema, kw_only=True):
    """One session on this model: its cost under the high, middle and low cache share, and its tokens."""

    cost: BoundsOut
    input_tokens: int
    cached_input_tokens: BoundsOut
    output_tokens: int
    context_tier: int | None


class TokensOut(Schema, kw_only=True):
    input: BoundsOut
    output: BoundsOut


class ModelProjectOut(Schema, kw_only=True):
    model: ModelId
    price_id: int
    cost: BoundsOut
    sessions: BoundsOut  # attempts included
    tokens: TokensOut
    per_session: SessionOut
    by_complexity: list[ComplexityOut]
    warnings: list[str]


class PlanOut(Schema, kw_only=True):
    plan: str  # the model's id, `hybrid:draft+review` or `self-host:profile`
    kind: Literal["model", "hybrid", "self-host"]
    cost: BoundsOut
    times_baseline: DecimalText | None
    at_least_times_baseline: DecimalText | None  # this plan's low over the baseline's high


class BreakEvenModelOut(Schema, kw_only=True):
    model: ModelId
    api_per_mtok: Money | None
    monthly_tokens: DecimalText | None  # null: the API is cheaper per token even with the node busy


class BreakEvenOut(Schema, kw_only=True):
    profile: str
    utilization: DecimalText
    node_monthly_usd: Money
    cost_per_mtok_range: RangeOut
    capacity_monthly_tokens: RangeOut
    models: list[BreakEvenModelOut]


class ProjectOut(Schema, kw_only=True):
    size: str
    tooling: str
    features: int
    mix: dict[str, DecimalText]
    context_multiplier: DecimalText
    turn_prompt_tokens: list[int]


class ProjectEstimateResult(Schema, kw_only=True):
    at: datetime
    currency: Literal["USD"]
    project: ProjectOut
    models: list[ModelProjectOut]  # cheapest expected first
    plans: list[PlanOut]  # every model, hybrid and self-host plan, cheapest expected first
    baseline: str | None
    break_even: list[BreakEvenOut]
    unpriced: list[ModelId]  # offerings of the set with no price at `at`
    assumptions: list[AssumptionUsed]
