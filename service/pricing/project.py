"""What a whole project costs on one model: features by complexity, sessions per feature, retries and cache shares.

Every figure comes from assumptions (tooling, project size, retry factors) that the caller passes in; nothing
here is a constant about the world. Costs are exact products of prices and counts; only a ratio or a derived
price per token is rounded, by service.pricing.money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import NamedTuple

from service.pricing.charging import charged_at
from service.pricing.money import MONEY_CONTEXT, round_cost
from service.pricing.prices import TokenPrices
from service.pricing.rules import PriceRules
from service.pricing.timeline import EffectivePrice

COMPLEXITIES = ("simple", "moderate", "complex")
_mul = MONEY_CONTEXT.multiply
_add = MONEY_CONTEXT.add
_ZERO = Decimal(0)
_HALF = Decimal("0.5")
_MTOK = Decimal(1_000_000)
_PER_TOKEN = Decimal("1E-6")  # prices are per million tokens
# tuple.__new__ skips a NamedTuple's Python-level constructor, on the paths run once per offering (as charging.py).
_new = tuple.__new__


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
        return _new(Bounds, (_add(self.low, other.low), _add(self.expected, other.expected),
                             _add(self.high, other.high)))

    def times(self, factor: Decimal) -> Bounds:
        return _new(Bounds, (_mul(self.low, factor), _mul(self.expected, factor), _mul(self.high, factor)))


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


Counts = tuple[Decimal | None, Decimal | None, Decimal | None]  # output, uncached and cached tokens; None: nothing


class TurnGroup(NamedTuple):
    """Turns of one session charged at the same rates (one context tier), with what pricing them needs."""

    sample: int  # the prompt of one of its turns, which picks the tier
    tier: int | None  # the tier's threshold; None below every tier
    tokens: int
    turns: int
    reads: tuple[int, int, int]  # cache reads at the high, expected and low share (three equal when it is exact)
    counts: tuple[Counts, ...]  # per share, high first; one when the share is exact
    prompt: Decimal  # `tokens`, as a Decimal


class TierSplit(NamedTuple):
    """A session's turns grouped by the context tier each prompt falls in, under one set of tier thresholds: the same
    for every price with those thresholds."""

    groups: tuple[TurnGroup, ...]
    top_tier: int | None  # the highest tier a turn reached, by its threshold
    reads: tuple[int, int, int]  # the groups' cache reads added up, per share
    warnings: dict[tuple[bool, ...], tuple[str, ...]]  # by which groups' rates lack a cache-read price


class SessionShape(NamedTuple):
    """What every model's sessions share in one request: the turns' prompts, the output, the cache shares, and the
    turns grouped as a flat price groups them. Made once per request, not per model; the turns' split under each set
    of tier thresholds is kept in `splits` as it is first needed (most tiered offerings share a few), and found from
    a price's rules by their identity in `split_of` (the snapshot keeps the rules alive during the request)."""

    prompts: tuple[int, ...]
    output_per_turn: int
    share: Range
    flat: TurnGroup
    splits: dict[tuple[int, ...], TierSplit]
    split_of: dict[int, TierSplit]


def session_shape(prompts: tuple[int, ...], output_per_turn: int, share: Range) -> SessionShape:
    flat = _turn_group(prompts[0] if prompts else 0, None, sum(prompts), len(prompts), output_per_turn, share)
    return SessionShape(prompts, output_per_turn, share, flat, {}, {})


def _turn_group(sample: int, tier: int | None, tokens: int, turns: int, output_per_turn: int,
                share: Range) -> TurnGroup:
    # The counts become Decimals once here: multiplying a price by an int converts it on every call.
    exact = share.low == share.high  # a share known exactly (0 for chat) is priced once
    reads = (_read(tokens, share.high), _read(tokens, share.expected), _read(tokens, share.low))
    if exact:
        reads = (reads[0],) * 3
    output = output_per_turn * turns
    counts = tuple((Decimal(output) if output else None, Decimal(tokens - read) if tokens > read else None,
                    Decimal(read) if read else None) for read in (reads[:1] if exact else reads))
    return TurnGroup(sample, tier, tokens, turns, reads, counts, Decimal(tokens))


def _read(tokens: int, share: Decimal) -> int:
    return whole_tokens(_mul(Decimal(tokens), share)) if share else 0


def session_costs(found: EffectivePrice, prompts: tuple[int, ...], output_per_turn: int, share: Range,
                  at: datetime) -> SessionCosts:
    """Price one session's turns; each turn at the rates of its own prompt size (context tiers)."""
    return shaped_session_costs(found, session_shape(prompts, output_per_turn, share), at)


def shaped_session_costs(found: EffectivePrice, shape: SessionShape, at: datetime) -> SessionCosts:
    """Price one session's turns; each turn at the rates of its own prompt size (context tiers)."""
    return price_sessions((found,), shape, at)[0]


def price_sessions(prices: Sequence[EffectivePrice], shape: SessionShape, at: datetime) -> list[SessionCosts]:
    """One session's cost on each price; each turn at the rates of its own prompt size (context tiers).

    A project over every offering prices thousands of sessions: this prices them in one pass, in MONEY_CONTEXT with
    the operators (a context method parses its arguments on every call; every product and sum here is exact, see
    MONEY_CONTEXT, so the costs are the same as priced one by one). Turns charged the same rates are priced together:
    a flat price (most of them) is one group of turns, and a tiered price costs one pricing per tier, not per turn.
    """
    flat = shape.flat
    exact = len(flat.counts) == 1
    output_tokens = flat.turns * shape.output_per_turn
    results: list[SessionCosts] = []
    append = results.append
    with localcontext(MONEY_CONTEXT):
        for found in prices:
            rules = found.period.rules
            if rules.tiers or rules.windows or rules.variants:
                append(_tiered_session_costs(found, shape, at, exact))
                continue
            rates = found.effective
            warnings = () if rates.cache_read_per_mtok is not None or not flat.reads[0] else \
                _read_warnings((rates,), (flat,), exact)
            append(_new(SessionCosts, (_new(Bounds, _costs(rates, flat, exact)), flat.tokens, flat.reads,
                                       output_tokens, None, warnings)))
    return results


def _tiered_session_costs(found: EffectivePrice, shape: SessionShape, at: datetime, exact: bool) -> SessionCosts:
    # In MONEY_CONTEXT (price_sessions).
    rules = found.period.rules
    split = shape.split_of.get(id(rules)) or _tier_split(shape, rules)
    # The rates of a tier at one instant are the same whatever the prompt inside it. Below every tier and with no
    # time window they are the effective price itself (the list price after the same discounts).
    charged = [found.effective if group.tier is None and not rules.windows else
               charged_at(found, group.sample, None, at).rates for group in split.groups]
    low, expected, high = _costs(charged[0], split.groups[0], exact)
    for rates, group in zip(charged[1:], split.groups[1:], strict=True):
        more_low, more_expected, more_high = _costs(rates, group, exact)
        low, expected, high = low + more_low, expected + more_expected, high + more_high
    # Warnings for cache reads charged at the input price depend only on which groups' rates lack a cache-read price.
    unknown = tuple([rates.cache_read_per_mtok is None for rates in charged])
    warnings = split.warnings.get(unknown)
    if warnings is None:
        warnings = split.warnings[unknown] = _read_warnings(charged, split.groups, exact) if any(unknown) else ()
    return _new(SessionCosts, (_new(Bounds, (low, expected, high)), shape.flat.tokens, split.reads,
                               shape.flat.turns * shape.output_per_turn, split.top_tier, warnings))


def _costs(rates: TokenPrices, group: TurnGroup, exact: bool) -> tuple[Decimal, Decimal, Decimal]:
    """A group of turns' cost at the high, expected and low cache share (the cheapest case reads the most from
    cache), in MONEY_CONTEXT. The three shares' counts hold the same output and prompt tokens, split differently
    between cache reads and uncached input: each costs every prompt token uncached plus its reads times the
    difference of the two prices. The same exact sums as service.pricing.estimate.session_cost, in a few products."""
    input_price, read_price = rates.input_per_mtok, rates.cache_read_per_mtok
    if exact:
        output, unread, read = group.counts[0]
        total = _ZERO if output is None else rates.output_per_mtok * output
        if unread is not None:
            total += input_price * unread
        if read is not None:
            total += (input_price if read_price is None else read_price) * read
        total *= _PER_TOKEN
        return total, total, total
    (output, _, most), (_, _, middle), (_, _, least) = group.counts
    whole = input_price * group.prompt
    if output is not None:
        whole = rates.output_per_mtok * output + whole
    whole *= _PER_TOKEN
    if read_price is None:  # reads are charged at the input price: the three shares cost the same
        return whole, whole, whole
    saved = (read_price - input_price) * _PER_TOKEN
    return (whole if most is None else whole + saved * most,
            whole if middle is None else whole + saved * middle,
            whole if least is None else whole + saved * least)


def price_key(found: EffectivePrice) -> object:
    """What a session's cost on this price depends on, as a key equal for every offering charged the same: a flat
    price's three token rates (after promotions), or else the list price, its rules and the promotions' percentages
    (tiers and windows are priced from those). Equal keys give equal costs; equal Decimals of another exponent (0.1,
    0.10) cost the same amounts, which money formats alike."""
    rules = found.period.rules
    if rules.is_flat:
        rates = found.effective
        return (rates.input_per_mtok, rates.output_per_mtok, rates.cache_read_per_mtok)
    percents = tuple(discount.percent_off for discount in found.discounts) if found.discounts else ()
    return (found.period.prices, rules, percents)


def _read_warnings(charged: Sequence[TokenPrices], groups: tuple[TurnGroup, ...], exact: bool) -> tuple[str, ...]:
    # The warnings session_cost gives for cache reads charged at the input price, in the order they were priced.
    warnings: list[str] = []
    for rates, group in zip(charged, groups, strict=True):
        for read in group.reads[:1] if exact else group.reads:
            if rates.cache_read_per_mtok is None and read > 0:
                text = (f"cache_read_per_mtok is unknown for this price: {read} cached input tokens were charged at "
                        "the input price")
                if text not in warnings:
                    warnings.append(text)
    return tuple(warnings)


def _tier_split(shape: SessionShape, rules: PriceRules) -> TierSplit:
    """The turns split by the tier each prompt falls in, under `rules`' thresholds: made once per request for each set
    of thresholds, and found once per rules object."""
    thresholds = tuple(tier.above_prompt_tokens for tier in rules.tiers)
    found = shape.splits.get(thresholds)
    if found is None:
        groups: dict[int | None, tuple[int, int, int]] = {}
        for prompt in shape.prompts:
            # The tier of a prompt is the last whose threshold it passes (service.pricing.rules.PriceRules.tier_for).
            key = next((above for above in reversed(thresholds) if prompt > above), None)
            sample, tokens, turns = groups.get(key, (prompt, 0, 0))
            groups[key] = (sample, tokens + prompt, turns + 1)
        tiers = [key for key in groups if key is not None]
        split = tuple(_turn_group(sample, tier, tokens, turns, shape.output_per_turn, shape.share)
                      for tier, (sample, tokens, turns) in groups.items())
        if not split:  # a session of no turns: one empty group, as a flat price has
            split = (shape.flat,)
        reads = (sum(group.reads[0] for group in split), sum(group.reads[1] for group in split),
                 sum(group.reads[2] for group in split))
        found = shape.splits[thresholds] = TierSplit(split, max(tiers) if tiers else None, reads, {})
    shape.split_of[id(rules)] = found
    return found


class ComplexityCost(NamedTuple):
    complexity: str
    features: Decimal
    sessions: Decimal
    retry: Range
    cost: Bounds


class ComplexityAttempts(NamedTuple):
    complexity: str
    features: Decimal
    sessions: Decimal
    retry: Range
    attempts: Bounds  # sessions x retry factor


class Attempts(NamedTuple):
    """The sessions of each complexity attempted under one model's retry ranges, and their total: the same for every
    model with the same retry ranges, so made once per ranges, not per model."""

    parts: tuple[ComplexityAttempts, ...]
    total: Bounds


def attempts_of(counts: Mapping[str, tuple[Decimal, Decimal]], retries: Mapping[str, Range]) -> Attempts:
    parts = []
    for complexity in COMPLEXITIES:
        features, sessions = counts[complexity]
        retry = retries[complexity]
        attempts_low, attempts_high = _mul(sessions, retry.low), _mul(sessions, retry.high)
        attempts_expected = attempts_low if retry.low == retry.high else _mul(sessions, retry.expected)
        parts.append(ComplexityAttempts(complexity, features, sessions, retry,
                                        Bounds(attempts_low, attempts_expected, attempts_high)))
    total = parts[0].attempts + parts[1].attempts + parts[2].attempts
    return Attempts(tuple(parts), total)


class ModelCost:
    """A project on one model: its cost bounds, by complexity, and the tokens and sessions it takes.

    The total is the session's cost times all attempts (exact, so equal to the sum by complexity); the breakdown by
    complexity is made only when asked for, since an answer over thousands of offerings may leave it out.
    """

    __slots__ = ("_by_complexity", "attempts", "cost", "per_session", "sessions")

    def __init__(self, attempts: Attempts, per_session: SessionCosts) -> None:
        session, tries = per_session.cost, attempts.total
        self.cost = _new(Bounds, (_mul(tries.low, session.low), _mul(tries.expected, session.expected),
                                  _mul(tries.high, session.high)))
        self.sessions = tries  # attempts included: sessions x retry factor
        self.per_session = per_session
        self.attempts = attempts
        self._by_complexity: tuple[ComplexityCost, ...] | None = None

    @property
    def by_complexity(self) -> tuple[ComplexityCost, ...]:
        if self._by_complexity is None:
            low, expected, high = self.per_session.cost
            self._by_complexity = tuple(_new(ComplexityCost, (
                part.complexity, part.features, part.sessions, part.retry,
                _new(Bounds, (_mul(part.attempts.low, low), _mul(part.attempts.expected, expected),
                              _mul(part.attempts.high, high))))) for part in self.attempts.parts)
        return self._by_complexity


def model_cost(counts: Mapping[str, tuple[Decimal, Decimal]], retries: Mapping[str, Range],
               per_session: SessionCosts) -> ModelCost:
    """Sessions of each complexity, each attempted retry-factor times, at one session's cost bounds."""
    return ModelCost(attempts_of(counts, retries), per_session)


def blended_per_mtok(per_session: SessionCosts) -> Decimal | None:
    """What the API charges per 1M tokens (input and output together) for this project's sessions, expected."""
    tokens = per_session.input_tokens + per_session.output_tokens
    if tokens == 0:
        return None
    return round_cost(MONEY_CONTEXT.divide(_mul(per_session.cost.expected, _MTOK), Decimal(tokens)))
