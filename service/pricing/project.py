"""What a whole project costs on one model: features by complexity, sessions per feature, retries and cache shares.

Every figure comes from assumptions (tooling, project size, retry factors) that the caller passes in; nothing
here is a constant about the world. Costs are exact products of prices and counts; only a ratio or a derived
price per token is rounded, by service.pricing.money.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from service.pricing.charging import charged_at
from service.pricing.estimate import session_cost
from service.pricing.money import MONEY_CONTEXT, round_cost
from service.pricing.prices import TokenPrices
from service.pricing.timeline import EffectivePrice
from service.pricing.usage import Usage

COMPLEXITIES = ("simple", "moderate", "complex")
_mul = MONEY_CONTEXT.multiply
_add = MONEY_CONTEXT.add
_ZERO = Decimal(0)
_HALF = Decimal("0.5")
_MTOK = Decimal(1_000_000)


class Range(NamedTuple):
    """A figure known only as low to high; its expected value is the midpoint."""

    low: Decimal
    high: Decimal

    @property
    def expected(self) -> Decimal:
        return _mul(_add(self.low, self.high), _HALF)  # halving is exact in Decimal


class Bounds(NamedTuple):
    """A cost (or a count) under the cheapest, the expected and the dearest assumptions."""

    low: Decimal
    expected: Decimal
    high: Decimal

    def __add__(self, other: tuple[object, ...]) -> Bounds:  # type: ignore[override]
        assert isinstance(other, Bounds)
        return Bounds(_add(self.low, other.low), _add(self.expected, other.expected), _add(self.high, other.high))

    def times(self, factor: Decimal) -> Bounds:
        return Bounds(_mul(self.low, factor), _mul(self.expected, factor), _mul(self.high, factor))


NO_COST = Bounds(_ZERO, _ZERO, _ZERO)


class Tooling(NamedTuple):
    """How a tool spends tokens: sessions per feature by complexity, and the turns of one session.

    Turn t (from 0) sends first_prompt_tokens + t x context_growth_per_turn tokens of prompt, times the project
    size's context multiplier, and receives output_tokens_per_turn. A chat session is one turn.
    """

    sessions_per_feature: Mapping[str, Decimal]
    first_prompt_tokens: int
    output_tokens_per_turn: int
    turns: int
    context_growth_per_turn: int
    cache_read_share: Range  # of the prompt, read from cache


class ProjectShape(NamedTuple):
    features: int
    mix: Mapping[str, Decimal]  # share of features by complexity, summing to 1
    context_multiplier: Decimal


def whole_tokens(value: Decimal) -> int:
    """Token counts derived from shares and multipliers are whole: rounded half-even, the house's one rule."""
    return int(value.to_integral_value(ROUND_HALF_EVEN))


def turn_prompts(tooling: Tooling, multiplier: Decimal) -> tuple[int, ...]:
    """The prompt of every turn of one session, in tokens."""
    return tuple(
        whole_tokens(_mul(Decimal(tooling.first_prompt_tokens + turn * tooling.context_growth_per_turn), multiplier))
        for turn in range(tooling.turns)
    )


def sessions_by_complexity(shape: ProjectShape, tooling: Tooling) -> dict[str, tuple[Decimal, Decimal]]:
    """Features and sessions of each complexity: expected values, so they may be fractional."""
    result = {}
    for complexity in COMPLEXITIES:
        features = _mul(Decimal(shape.features), shape.mix.get(complexity, _ZERO))
        result[complexity] = (features, _mul(features, tooling.sessions_per_feature.get(complexity, _ZERO)))
    return result


class SessionCosts(NamedTuple):
    """One session on one model: its cost under the high, middle and low cache share, and its tokens."""

    cost: Bounds
    input_tokens: int
    cached_input_tokens: Bounds  # cache reads at the low, expected and high cost (high share, mid, low share)
    output_tokens: int
    context_tier: int | None  # the highest tier a turn reached, by its threshold
    warnings: tuple[str, ...]


def session_costs(found: EffectivePrice, prompts: tuple[int, ...], output_per_turn: int, share: Range,
                  at: datetime) -> SessionCosts:
    """Price one session's turns; each turn at the rates of its own prompt size (context tiers).

    Turns charged the same rates are priced together, so a session costs one pricing per tier, not per turn.
    """
    groups: dict[int, tuple[TokenPrices, int, int]] = {}
    top_tier: int | None = None
    for prompt in prompts:
        charged = charged_at(found, prompt, None, at)
        if charged.tier is not None:
            top_tier = max(top_tier or 0, charged.tier.above_prompt_tokens)
        key = id(charged.rates)
        rates, tokens, turns = groups.get(key, (charged.rates, 0, 0))
        groups[key] = (rates, tokens + prompt, turns + 1)
    cost = NO_COST
    cached = NO_COST
    warnings: list[str] = []
    # The cheapest case reads the most from cache.
    shares = (share.high, share.expected, share.low)
    for rates, tokens, turns in groups.values():
        output = output_per_turn * turns
        parts = []
        reads = []
        for fraction in shares:
            read = whole_tokens(_mul(Decimal(tokens), fraction))
            priced, warned = session_cost(rates, Usage(tokens, output, read))
            parts.append(priced.per_session)
            reads.append(Decimal(read))
            warnings.extend(w for w in warned if w not in warnings)
        cost = cost + Bounds(*parts)
        cached = cached + Bounds(*reads)
    return SessionCosts(cost, sum(prompts), cached, output_per_turn * len(prompts), top_tier, tuple(warnings))


class ComplexityCost(NamedTuple):
    complexity: str
    features: Decimal
    sessions: Decimal
    retry: Range
    cost: Bounds


class ModelCost(NamedTuple):
    """A project on one model: its cost bounds, by complexity, and the tokens and sessions it takes."""

    cost: Bounds
    by_complexity: tuple[ComplexityCost, ...]
    sessions: Bounds  # attempts included: sessions x retry factor
    per_session: SessionCosts


def model_cost(counts: Mapping[str, tuple[Decimal, Decimal]], retries: Mapping[str, Range],
               per_session: SessionCosts) -> ModelCost:
    """Sessions of each complexity, each attempted retry-factor times, at one session's cost bounds."""
    total = NO_COST
    attempts = NO_COST
    parts = []
    for complexity in COMPLEXITIES:
        features, sessions = counts[complexity]
        retry = retries[complexity]
        tries = Bounds(_mul(sessions, retry.low), _mul(sessions, retry.expected), _mul(sessions, retry.high))
        cost = Bounds(_mul(tries.low, per_session.cost.low), _mul(tries.expected, per_session.cost.expected),
                      _mul(tries.high, per_session.cost.high))
        parts.append(ComplexityCost(complexity, features, sessions, retry, cost))
        total = total + cost
        attempts = attempts + tries
    return ModelCost(total, tuple(parts), attempts, per_session)


def blended_per_mtok(per_session: SessionCosts) -> Decimal | None:
    """What the API charges per 1M tokens (input and output together) for this project's sessions, expected."""
    tokens = per_session.input_tokens + per_session.output_tokens
    if tokens == 0:
        return None
    return round_cost(MONEY_CONTEXT.divide(_mul(per_session.cost.expected, _MTOK), Decimal(tokens)))
