"""Request and response bodies of /v1/assumptions: the figures a project estimate rests on, by kind.

`figures` is a tagged union on `kind`. Every decimal is checked like money (finite, not negative, at most 12
places) and each kind checks its own ranges, so a stored row can always be priced with.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.api.structs import MODEL_ID_PATTERN, Instant, MoneyIn, Schema, Source
from service.pricing.errors import InvalidAmount, InvalidValue
from service.pricing.money import parse_decimal
from service.pricing.project_plans import check_shares

Kind = Literal["tooling", "project-size", "retry-factor", "self-host"]
KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}(/[a-z0-9][a-z0-9._-]{0,99})?\*?$(?!\n)"
Key = Annotated[str, Meta(pattern=KEY_PATTERN, max_length=202, examples=["ide-assistant", "deepseek-v4-flash"],
                          description="a slug; for retry factors an offering id, a model, `family*` or `default`")]
Tokens = Annotated[int, Meta(ge=0, le=10_000_000)]
_ZERO = Decimal(0)


def _amount(value: Decimal, field: str, *, at_most: Decimal | None = None, above_zero: bool = False) -> Decimal:
    number = parse_decimal(value, field=field)
    if above_zero and number == 0:
        raise InvalidAmount(f"{field.rpartition('.')[2]} must be more than 0", *field.split("."))
    if at_most is not None and number > at_most:
        raise InvalidAmount(f"{field.rpartition('.')[2]} must be at most {at_most}, got {number}", *field.split("."))
    return number


class Shares(Schema, kw_only=True):
    """One figure per complexity of feature."""

    simple: MoneyIn = _ZERO
    moderate: MoneyIn = _ZERO
    complex: MoneyIn = _ZERO

    def __post_init__(self) -> None:
        for name in ("simple", "moderate", "complex"):
            setattr(self, name, _amount(getattr(self, name), name))

    def as_dict(self) -> dict[str, Decimal]:
        return {"simple": self.simple, "moderate": self.moderate, "complex": self.complex}


class Span(Schema, kw_only=True):
    """A figure known as low to high (the expected value is the midpoint)."""

    low: MoneyIn
    high: MoneyIn

    def __post_init__(self) -> None:
        self.low, self.high = _amount(self.low, "low"), _amount(self.high, "high")
        if self.high < self.low:
            raise InvalidAmount(f"high ({self.high}) must not be below low ({self.low})", "high")


def _share_span(span: Span, field: str) -> None:
    for name in ("low", "high"):
        if getattr(span, name) > 1:
            raise InvalidAmount(f"a share is at most 1, got {getattr(span, name)}", field, name)


class ToolingFigures(Schema, kw_only=True, tag="tooling", tag_field="kind"):
    """How a tool spends tokens on one feature: sessions by complexity, and the turns of a session."""

    sessions_per_feature: Shares
    first_prompt_tokens: Tokens
    output_tokens_per_turn: Tokens
    turns: Annotated[int, Meta(ge=1, le=1000)] = 1
    context_growth_per_turn: Tokens = 0
    cache_read_share: Span = msgspec.field(default_factory=lambda: Span(low=_ZERO, high=_ZERO))

    def __post_init__(self) -> None:
        _share_span(self.cache_read_share, "cache_read_share")


class ProjectSizeFigures(Schema, kw_only=True, tag="project-size", tag_field="kind"):
    """A project's complexity mix (shares summing to 1) and how much more context its sessions carry."""

    mix: Shares
    context_multiplier: MoneyIn = Decimal(1)

    def __post_init__(self) -> None:
        problem = check_shares(self.mix.as_dict())
        if problem:
            raise InvalidAmount(problem, "mix")
        self.context_multiplier = _amount(self.context_multiplier, "context_multiplier", at_most=Decimal(10),
                                          above_zero=True)


class RetryRanges(Schema, kw_only=True):
    simple: Span
    moderate: Span
    complex: Span

    def __post_init__(self) -> None:
        for name in ("simple", "moderate", "complex"):
            span = getattr(self, name)
            if span.low < 1 or span.high > 10:
                raise InvalidAmount("a retry factor is between 1 (every attempt succeeds) and 10", name)


class RetryFactorFigures(Schema, kw_only=True, tag="retry-factor", tag_field="kind"):
    """Attempts per session on a model (or family), by complexity, as a low-high range."""

    by_complexity: RetryRanges


class SelfHostFigures(Schema, kw_only=True, tag="self-host", tag_field="kind"):
    """A node serving an open-weights model: its hourly price, its utilization, and either a measured cost per
    1M tokens at that utilization or a throughput from which the cost is derived."""

    model: Annotated[str, Meta(pattern=MODEL_ID_PATTERN, max_length=201)]
    node_hourly_usd: MoneyIn
    utilization: MoneyIn
    cost_per_mtok_range: Span | None = None
    tokens_per_second: Span | None = None

    def __post_init__(self) -> None:
        self.node_hourly_usd = _amount(self.node_hourly_usd, "node_hourly_usd")
        self.utilization = _amount(self.utilization, "utilization", at_most=Decimal(1), above_zero=True)
        if (self.cost_per_mtok_range is None) == (self.tokens_per_second is None):
            raise InvalidValue("give either cost_per_mtok_range or tokens_per_second, not both or neither",
                               "cost_per_mtok_range")
        if self.tokens_per_second is not None and self.tokens_per_second.low == 0:
            raise InvalidAmount("tokens_per_second must be more than 0", "tokens_per_second", "low")


Figures = ToolingFigures | ProjectSizeFigures | RetryFactorFigures | SelfHostFigures
FIGURES_BY_KIND: dict[str, type[Figures]] = {
    "tooling": ToolingFigures, "project-size": ProjectSizeFigures, "retry-factor": RetryFactorFigures,
    "self-host": SelfHostFigures,
}


class AssumptionCreate(Schema, kw_only=True):
    """A new version of an assumption. An open version that starts before `valid_from` is closed there."""

    key: Key
    figures: Figures
    source: Source
    assumed: bool  # true: our assumption; false: the source's own figure
    valid_from: Instant | None = None  # None: from the write's moment on
    valid_to: Instant | None = None

    def __post_init__(self) -> None:
        if self.valid_from is not None and self.valid_to is not None and self.valid_to <= self.valid_from:
            raise InvalidValue("valid_to must be later than valid_from: periods are half-open", "valid_to")


class AssumptionClose(Schema, kw_only=True):
    """The one change a stored version takes: its open period ends."""

    valid_to: Instant


class AssumptionOut(Schema, kw_only=True):
    id: int
    kind: Kind
    key: str
    version: int
    figures: Figures
    assumed: bool
    source: str
    valid_from: datetime
    valid_to: datetime | None
    recorded_at: datetime


class AssumptionPage(Schema, kw_only=True):
    data: list[AssumptionOut]
    next_cursor: str | None


class AssumptionUsed(Schema, kw_only=True):
    """An assumption an estimate used, by id and version, so that any figure can be traced."""

    id: int
    kind: Kind
    key: str
    version: int
    assumed: bool
    source: str

