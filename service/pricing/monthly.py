"""A month of sessions spread evenly over the month and priced stretch by stretch as prices change."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.pricing.estimate import Estimate, check_retry_factor, check_sessions, estimate
from service.pricing.money import MONEY_CONTEXT, round_cost
from service.pricing.timeline import EffectivePrice, ModelTimeline, Stretch
from service.pricing.usage import Usage

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# Kept clear of year 1 and 9999 so that shifting a local midnight to UTC never leaves datetime's range.
_FIRST_YEAR, _LAST_YEAR = 1000, 9998
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class MonthlyPeriod:
    """[start, end) at one effective price.

    estimate.total is this stretch's share of the cost, rounded once from the exact share (so it need not
    equal per_session x the rounded sessions x retry_factor); estimate.sessions equals `sessions`.
    """

    start: datetime
    end: datetime
    sessions: Decimal
    price: EffectivePrice
    estimate: Estimate


@dataclass(frozen=True, slots=True)
class MonthlyEstimate:
    """The cost of a window's sessions; total is exactly the sum of the periods' costs."""

    periods: tuple[MonthlyPeriod, ...]
    sessions: Decimal
    total: Decimal
    warnings: tuple[str, ...]


class PriceGapError(ValueError):
    """Part of the window has no price at all; start and end delimit the first such stretch."""

    def __init__(self, start: datetime, end: datetime) -> None:
        super().__init__(f"no price applies from {start.isoformat()} to {end.isoformat()}")
        self.start = start
        self.end = end


def month_window(month: str, tz: str) -> tuple[datetime, datetime]:
    """[first day 00:00, first day of the next month 00:00) in zone `tz`, as UTC instants."""
    year, number = _parse_month(month)
    zone = _zone(tz)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _parse_month(month: str) -> tuple[int, int]:
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if match is None:
        raise ValueError(f"month must be written YYYY-MM, such as 2026-05, got {month!r}")
    year, number = int(match[1]), int(match[2])
    if not 1 <= number <= 12:
        raise ValueError(f"month must be between 01 and 12, got {month!r}")
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(f"month must be between {_FIRST_YEAR}-01 and {_LAST_YEAR}-12, got {month!r}")
    return year, number


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    # Odd keys fail in other ways than unknown ones: "../etc" with ValueError, an overlong name with OSError.
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise ValueError(f"unknown IANA timezone {tz!r}") from None


def spread_over_window(
    timeline: ModelTimeline,
    usage: Usage,
    sessions: Decimal,
    retry_factor: Decimal,
    start: datetime,
    end: datetime,
) -> MonthlyEstimate:
    """Spread `sessions` evenly by duration over [start, end) and price each stretch at its own price."""
    count = check_sessions(sessions)
    factor = check_retry_factor(retry_factor)
    stretches = timeline.stretches(start, end)
    for stretch in stretches:
        if stretch.price is None:
            raise PriceGapError(stretch.start, stretch.end)
    window = (end - start) // _MICROSECOND
    periods = tuple(_price_stretch(stretch, usage, count, factor, window) for stretch in stretches)
    with localcontext(MONEY_CONTEXT):
        # Summing the rounded period costs, not rounding a sum, keeps total == sum(periods) exactly.
        total = sum((period.estimate.total for period in periods), Decimal(0))
    warnings = tuple(dict.fromkeys(text for period in periods for text in period.estimate.warnings))
    return MonthlyEstimate(periods=periods, sessions=count, total=total, warnings=warnings)


def _price_stretch(
    stretch: Stretch, usage: Usage, sessions: Decimal, retry_factor: Decimal, window: int
) -> MonthlyPeriod:
    price = stretch.price
    assert price is not None  # spread_over_window refuses gaps first
    whole = estimate(price.effective, usage, sessions, retry_factor)
    share = (stretch.end - stretch.start) // _MICROSECOND
    with localcontext(MONEY_CONTEXT):
        # One division, then one rounding: the product before it is exact.
        cost = round_cost(whole.total * share / window)
        period_sessions = round_cost(sessions * share / window)
    prorated = whole._replace(sessions=period_sessions, total=cost)
    return MonthlyPeriod(stretch.start, stretch.end, period_sessions, price, prorated)
