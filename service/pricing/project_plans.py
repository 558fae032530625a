"""Plans for a project beyond one model: retry factors by model, a draft-then-review hybrid, self-hosting on a
node, the ranking of every plan and the break-even volume of self-hosting against each API model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import NamedTuple

from service.pricing.money import MONEY_CONTEXT, round_cost, round_ratio
from service.pricing.project import COMPLEXITIES, Bounds, ModelCost, Range
from service.pricing.selfhost import HOURS_PER_MONTH, break_even_tokens

_mul = MONEY_CONTEXT.multiply
_div = MONEY_CONTEXT.divide
_MTOK = Decimal(1_000_000)
_SECONDS_PER_HOUR = Decimal(3600)
DEFAULT_RETRY_KEY = "default"


class RetryKeys:
    """Which retry-factor row applies to an offering: its own id, then its model (`x` of `together/x`), then the
    longest family prefix (`gpt-5*`), then `default`. Made once per request, asked once per offering."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._known = frozenset(keys)
        # Longest first, so the first family that matches is the most specific.
        self._families = sorted((key[:-1] for key in self._known if key.endswith("*")), key=len, reverse=True)

    def key_for(self, offering: str) -> str:
        if offering in self._known:
            return offering
        model = offering.rpartition("/")[2]
        if model in self._known:
            return model
        for prefix in self._families:
            if model.startswith(prefix):
                return prefix + "*"
        return DEFAULT_RETRY_KEY


def retry_key(keys: Iterable[str], offering: str) -> str:
    return RetryKeys(keys).key_for(offering)


def review_cost(draft: ModelCost, review: ModelCost, shares: Mapping[str, Decimal]) -> Bounds:
    """A hybrid: every feature drafted on one model, then a share of each complexity's features reviewed on
    another (a review session costs what a session costs there, retries included)."""
    total = draft.cost
    for drafted, reviewed in zip(draft.by_complexity, review.by_complexity, strict=True):
        share = shares.get(drafted.complexity, Decimal(0))
        if share:
            total = total + reviewed.cost.times(share)
    return total


class NodeProfile(NamedTuple):
    """A node serving an open-weights model: its hourly price and what one token costs on it at `utilization`.

    Either `cost_per_mtok` is known (measured at `utilization`), or `tokens_per_second` is, from which the cost is
    derived; both are ranges.
    """

    node_hourly_usd: Decimal
    utilization: Decimal
    cost_per_mtok: Range | None
    tokens_per_second: Range | None


def node_cost_per_mtok(profile: NodeProfile, utilization: Decimal) -> Range:
    """USD per 1M tokens at `utilization`: the node is paid by the hour, busy or not, so a less busy node spreads
    the same cost over fewer tokens."""
    if profile.tokens_per_second is not None:
        hourly = _mul(profile.node_hourly_usd, _MTOK)
        per_hour = _mul(_SECONDS_PER_HOUR, utilization)
        fast, slow = profile.tokens_per_second.high, profile.tokens_per_second.low
        return Range(round_cost(_div(hourly, _mul(fast, per_hour))), round_cost(_div(hourly, _mul(slow, per_hour))))
    assert profile.cost_per_mtok is not None
    if utilization == profile.utilization:
        return profile.cost_per_mtok
    scale = _div(profile.utilization, utilization)
    return Range(round_cost(_mul(profile.cost_per_mtok.low, scale)), round_cost(_mul(profile.cost_per_mtok.high,
                                                                                    scale)))


def node_monthly_usd(profile: NodeProfile) -> Decimal:
    return _mul(profile.node_hourly_usd, HOURS_PER_MONTH)


def self_host_cost(tokens: Bounds, per_mtok: Range) -> Bounds:
    """Tokens (attempts included) at the node's marginal cost per token: low tokens at the low cost, and so on."""
    return Bounds(_div(_mul(tokens.low, per_mtok.low), _MTOK), _div(_mul(tokens.expected, per_mtok.expected), _MTOK),
                  _div(_mul(tokens.high, per_mtok.high), _MTOK))


def project_tokens(cost: ModelCost) -> Bounds:
    """Input and output tokens of the whole project on a model, attempts included."""
    per_session = Decimal(cost.per_session.input_tokens + cost.per_session.output_tokens)
    return cost.sessions.times(per_session)


class BreakEven(NamedTuple):
    """Monthly tokens above which the node costs less than the API (None: the API is cheaper per token even with
    the node fully used at this utilization), and what the node can serve a month (low, high)."""

    monthly_tokens: Decimal | None
    capacity: Range


def break_even(profile: NodeProfile, utilization: Decimal, api_per_mtok: Decimal | None) -> BreakEven:
    monthly = node_monthly_usd(profile)
    per_mtok = node_cost_per_mtok(profile, utilization)
    capacity = Range(_capacity(monthly, per_mtok.high), _capacity(monthly, per_mtok.low))
    if api_per_mtok is None or api_per_mtok <= per_mtok.high:
        return BreakEven(None, capacity)
    return BreakEven(break_even_tokens(monthly, api_per_mtok), capacity)


def _capacity(monthly: Decimal, per_mtok: Decimal) -> Decimal:
    if per_mtok.is_zero():
        return Decimal(0)
    return _div(_mul(monthly, _MTOK), per_mtok).to_integral_value()


class Plan(NamedTuple):
    name: str
    kind: str  # model, hybrid or self-host
    cost: Bounds


class Ranked(NamedTuple):
    plan: Plan
    times_baseline: Decimal | None  # expected over the baseline's expected
    at_least_times_baseline: Decimal | None  # this plan's low over the baseline's high: the cautious ratio


def rank(plans: Iterable[Plan], baseline: str | None = None) -> tuple[list[Ranked], Plan | None]:
    """Cheapest expected cost first (then by name); ratios against `baseline`, or the cheapest plan."""
    ordered = sorted(plans, key=lambda plan: (plan.cost.expected, plan.name))
    base = next((plan for plan in ordered if plan.name == baseline), ordered[0] if ordered else None)
    against = Baseline(None if base is None else base.cost)
    ranked = []
    for plan in ordered:
        # tuple.__new__ skips the NamedTuple's Python-level constructor: a ranking may hold every offering's plan.
        ranked.append(tuple.__new__(Ranked, (plan, *against.ratios(plan.cost))))
    return ranked, base


class Baseline:
    """The ratios of plans' costs to one plan's: expected over its expected, and low over its high (the cautious
    ratio); None where there is no baseline or its cost is zero.

    Plans of one cost (offerings that share a price share their Bounds) get the very same ratios, divided once: kept
    by the identity of the Bounds, which are kept here so that an id is never reused.
    """

    def __init__(self, base: Bounds | None) -> None:
        self._expected = None if base is None or not base.expected else base.expected
        self._high = None if base is None or not base.high else base.high
        # A baseline known exactly (low = high) over a plan whose low is its expected cost: the two ratios are one.
        self._exact = self._expected is not None and self._expected == self._high
        self._found: dict[int, tuple[Bounds, Decimal | None, Decimal | None]] = {}

    def ratios(self, cost: Bounds) -> tuple[Decimal | None, Decimal | None]:
        found = self._found.get(id(cost))
        if found is None:
            found = self._found[id(cost)] = (cost, *self.divided_all((cost,))[0])
        return found[1], found[2]

    def divided_all(self, costs: Sequence[Bounds]) -> list[tuple[Decimal | None, Decimal | None]]:
        """ratios() of each cost without keeping them (for a caller that asks once per cost), in one pass in
        MONEY_CONTEXT with the operators, each quotient then rounded once: a project over every offering divides
        thousands of costs."""
        expected, high, exact = self._expected, self._high, self._exact
        results: list[tuple[Decimal | None, Decimal | None]] = []
        append = results.append
        with localcontext(MONEY_CONTEXT):
            for cost in costs:
                times = None if expected is None else round_ratio(cost.expected / expected)
                if exact and cost.low == cost.expected:
                    append((times, times))
                else:
                    append((times, None if high is None else round_ratio(cost.low / high)))
        return results


def check_shares(shares: Mapping[str, Decimal]) -> str | None:
    """None when a complexity mix holds every complexity once and sums to 1; otherwise what is wrong."""
    unknown = sorted(set(shares) - set(COMPLEXITIES))
    if unknown:
        return f"unknown complexity '{unknown[0]}': use {', '.join(COMPLEXITIES)}"
    if any(not 0 <= share <= 1 for share in shares.values()):
        return "each share is between 0 and 1"
    total = sum(shares.values(), Decimal(0))
    if total != 1:
        return f"the shares must sum to 1, they sum to {total}"
    return None
