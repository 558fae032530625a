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

    def __add__(self, other: tuple[object, ...]) -> Bounds:
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
    cached_input_tokens: tuple[int, int, int]  # cache reads at the low, expected and high cost (high share first)
    output_tokens: int
    context_tier: int | None  # the highest tier a turn reached, by its threshold
    warnings: tuple[str, ...]


def session_costs(found: EffectivePrice, prompts: tuple[int, ...], output_per_turn: int, share: Range,
                  at: datetime) -> SessionCosts:
    """Price one session's turns; each turn at the rates of its own prompt size (context tiers).

    Turns charged the same rates are priced together, so a session costs one pricing per tier, not per turn; a
    flat price (most of them) is one group without looking at each turn.
    """
    rules = found.period.rules
    if rules.is_flat:
        groups = [(found.effective, sum(prompts), len(prompts))]
        top_tier = None
    else:
        groups, top_tier = _tier_groups(found, prompts, at)
    low = expected = high = _ZERO
    read_low = read_expected = read_high = 0
    warnings: list[str] = []
    for rates, tokens, turns in groups:
        output = output_per_turn * turns
        # The cheapest case reads the most from cache; a share known exactly (0 for chat) is priced once.
        cost_low, cached_low = _priced(rates, tokens, output, share.high, warnings)
        if share.low == share.high:
            cost_mid, cached_mid, cost_high, cached_high = cost_low, cached_low, cost_low, cached_low
        else:
            cost_mid, cached_mid = _priced(rates, tokens, output, share.expected, warnings)
            cost_high, cached_high = _priced(rates, tokens, output, share.low, warnings)
        low, expected, high = _add(low, cost_low), _add(expected, cost_mid), _add(high, cost_high)
        read_low, read_expected, read_high = read_low + cached_low, read_expected + cached_mid, read_high + cached_high
    return SessionCosts(Bounds(low, expected, high), sum(prompts), (read_low, read_expected, read_high),
                        output_per_turn * len(prompts), top_tier, tuple(warnings))


def _priced(rates: TokenPrices, tokens: int, output: int, share: Decimal,
            warnings: list[str]) -> tuple[Decimal, int]:
    read = whole_tokens(_mul(Decimal(tokens), share)) if share else 0
    priced, warned = session_cost(rates, Usage(tokens, output, read))
    if warned:
        warnings.extend(w for w in warned if w not in warnings)
    return priced.per_session, read


def _tier_groups(found: EffectivePrice, prompts: tuple[int, ...],
                 at: datetime) -> tuple[list[tuple[TokenPrices, int, int]], int | None]:
    # Turns are grouped by the tier their prompt falls in, and each group is charged once: the rates of a tier
    # at one instant are the same whatever the prompt inside it.
    rules = found.period.rules
    groups: dict[int | None, tuple[int, int, int]] = {}  # tier threshold -> a prompt of it, tokens, turns
    for prompt in prompts:
        tier = rules.tier_for(prompt)
        key = None if tier is None else tier.above_prompt_tokens
        sample, tokens, turns = groups.get(key, (prompt, 0, 0))
        groups[key] = (sample, tokens + prompt, turns + 1)
    priced = [(charged_at(found, sample, None, at).rates, tokens, turns) for sample, tokens, turns in groups.values()]
    tiers = [key for key in groups if key is not None]
    return priced, max(tiers) if tiers else None


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
    session_low, session_expected, session_high = per_session.cost
    low = expected = high = tries_low = tries_expected = tries_high = _ZERO
    parts = []
    for complexity in COMPLEXITIES:
        features, sessions = counts[complexity]
        retry = retries[complexity]
        attempts_low, attempts_high = _mul(sessions, retry.low), _mul(sessions, retry.high)
        attempts_expected = attempts_low if retry.low == retry.high else _mul(sessions, retry.expected)
        cost = Bounds(_mul(attempts_low, session_low), _mul(attempts_expected, session_expected),
                      _mul(attempts_high, session_high))
        parts.append(ComplexityCost(complexity, features, sessions, retry, cost))
        low, expected, high = _add(low, cost.low), _add(expected, cost.expected), _add(high, cost.high)
        tries_low, tries_expected = _add(tries_low, attempts_low), _add(tries_expected, attempts_expected)
        tries_high = _add(tries_high, attempts_high)
    return ModelCost(Bounds(low, expected, high), tuple(parts), Bounds(tries_low, tries_expected, tries_high),
                     per_session)


def blended_per_mtok(per_session: SessionCosts) -> Decimal | None:
    """What the API charges per 1M tokens (input and output together) for this project's sessions, expected."""
    tokens = per_session.input_tokens + per_session.output_tokens
    if tokens == 0:
        return None
    return round_cost(MONEY_CONTEXT.divide(_mul(per_session.cost.expected, _MTOK), Decimal(tokens)))
