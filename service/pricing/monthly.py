"""A month of sessions spread evenly over the month and priced stretch by stretch as prices change."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

from service.pricing.charging import RatedStretch, rated_stretches
from service.pricing.errors import InvalidValue, NoActiveHours
from service.pricing.estimate import Estimate, check_retry_factor, check_sessions, estimate
from service.pricing.money import MONEY_CONTEXT, apportion_weighted
from service.pricing.prices import TokenPrices
from service.pricing.rules import Charged
from service.pricing.timeline import EffectivePrice, ModelTimeline
from service.pricing.usage import Usage
from service.pricing.windows import Span, load_zone

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# Kept clear of year 1 and 9999 so that shifting a local midnight to UTC never leaves datetime's range.
_FIRST_YEAR, _LAST_YEAR = 1000, 9998
_MICROSECOND = timedelta(microseconds=1)
# Estimate's fields in order, without the NamedTuple's Python-level constructor (a month has some 60 parts a model).
_new = tuple.__new__


@dataclass(frozen=True, slots=True)
class MonthlyPeriod:
    """[start, end) at one effective price and one set of charged rates (`estimate` is priced at charged.rates).

    estimate.total is this stretch's share of the cost, rounded once from the exact share (so it need not
    equal per_session x the rounded sessions x retry_factor); estimate.sessions equals `sessions`.
    """

    start: datetime
    end: datetime
    sessions: Decimal
    price: EffectivePrice
    charged: Charged
    estimate: Estimate


@dataclass(frozen=True, slots=True)
class MonthlyEstimate:
    """The cost of a window's sessions; total is exactly the sum of the periods' costs."""

    periods: tuple[MonthlyPeriod, ...]
    sessions: Decimal
    total: Decimal
    warnings: tuple[str, ...]


class NoActiveHoursError(NoActiveHours):
    """The distribution of requests over the day leaves no time at all in the window."""


def month_window(month: str, tz: str) -> tuple[datetime, datetime]:
    """[first day 00:00, first day of the next month 00:00) in zone `tz`, as UTC instants."""
    year, number = _parse_month(month)
    zone = load_zone(tz)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _parse_month(month: str) -> tuple[int, int]:
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if match is None:
        raise InvalidValue(f"month must be written YYYY-MM, such as 2026-05, got {month!r}", "month")
    year, number = int(match[1]), int(match[2])
    if not 1 <= number <= 12:
        raise InvalidValue(f"month must be between 01 and 12, got {month!r}", "month")
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise InvalidValue(f"month must be between {_FIRST_YEAR}-01 and {_LAST_YEAR}-12, got {month!r}", "month")
    return year, number


def spread_over_window(
    timeline: ModelTimeline,
    usage: Usage,
    sessions: Decimal,
    retry_factor: Decimal,
    start: datetime,
    end: datetime,
    *,
    kind: str | None = None,
    active: list[Span] | None = None,
) -> MonthlyEstimate:
    """Spread `sessions` evenly by duration over the `active` parts of [start, end) (all of it by default) and
    price each part at its own rates: price periods, promotions and time windows all cut it.
    """
    count = check_sessions(sessions)
    factor = check_retry_factor(retry_factor)
    stretches = rated_stretches(timeline, start, end, usage.prompt_tokens, kind)
    parts = _active_parts(stretches, [Span(start, end)] if active is None else active)
    durations = [(high - low) // _MICROSECOND for low, high, _ in parts]
    if not sum(durations):
        raise NoActiveHoursError("the distribution of requests leaves no hour of this month to spread them over")
    wholes = _estimates([stretch.charged.rates for _, _, stretch in parts], usage, count, factor)
    # Each part's exact share (its duration over the window's), rounded so that the parts add up to the rounded
    # exact total: a flat price spread over 21 office days costs exactly what it costs at one instant, not 2e-10 less.
    costs = apportion_weighted([whole.total for whole in wholes], durations)
    sessions_by_part = apportion_weighted([count] * len(parts), durations)
    periods = tuple(
        MonthlyPeriod(low, high, part_sessions, stretch.price, stretch.charged,
                      _new(Estimate, (whole.cost, part_sessions, whole.retry_factor, cost, whole.warnings)))
        for (low, high, stretch), whole, cost, part_sessions in zip(parts, wholes, costs, sessions_by_part,
                                                                     strict=True)
    )
    with localcontext(MONEY_CONTEXT):
        total = sum(costs, Decimal(0))
    warnings = tuple(dict.fromkeys(text for whole in wholes for text in whole.warnings))
    return MonthlyEstimate(periods=periods, sessions=count, total=total, warnings=warnings)


def _estimates(rates: list[TokenPrices], usage: Usage, count: Decimal, factor: Decimal) -> list[Estimate]:
    # A month cut by a daily window alternates between two or three rates over some 60 parts, the same rates
    # objects (rated_stretches finds each window's rates once): each priced once.
    priced: dict[int, Estimate] = {}
    for part_rates in rates:
        if id(part_rates) not in priced:
            priced[id(part_rates)] = estimate(part_rates, usage, count, factor)
    return [priced[id(part_rates)] for part_rates in rates]


def _active_parts(stretches: list[RatedStretch], active: list[Span]) -> list[tuple[datetime, datetime, RatedStretch]]:
    parts = []
    for stretch in stretches:
        for low, high in active:
            low, high = max(low, stretch.start), min(high, stretch.end)
            if low < high:
                parts.append((low, high, stretch))
    return parts
