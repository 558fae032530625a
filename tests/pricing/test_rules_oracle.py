"""Hypothesis: the service charges what docs/pricing-rules.md says, as a slow, plain oracle in this file computes it.

The oracle reads the rules as plain test data (strings, Decimals, dates) and does its arithmetic in Fractions with
the standard library only: nothing of service.pricing takes part in deciding what a request should cost. The
service is handed the same data through its own types, and both answers must be exactly equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pricing.charging import charged_at, rated_stretches
from service.pricing.errors import InputError
from service.pricing.estimate import estimate
from service.pricing.monthly import spread_over_window
from service.pricing.prices import TokenPrices
from service.pricing.rules import ContextTier, PriceRules, TimeWindow, Variant, variant_kind
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.pricing.usage import Usage
from service.pricing.windows import DailyWindow, parse_clock, parse_days

# Bounded so the file runs in a few seconds; CI runs the whole suite on 2 cores.
oracle_settings = settings(deadline=None, max_examples=200)

# --- The rules as plain data, the way docs/pricing-rules.md writes them ----------------------------------------


@dataclass(frozen=True)
class Rates:
    """USD per 1M tokens; a cache price of None is unknown."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None


@dataclass(frozen=True)
class Tier:
    above_prompt_tokens: int
    rates: Rates


@dataclass(frozen=True)
class Window:
    days: tuple[str, ...]
    start: str  # "HH:MM"
    end: str  # "HH:MM", "24:00" allowed
    timezone: str
    excluded_dates: frozenset[date]
    multiplier: Decimal


@dataclass(frozen=True)
class Period:
    valid_from: datetime
    valid_to: datetime | None
    rates: Rates
    tiers: tuple[Tier, ...] = ()
    windows: tuple[Window, ...] = ()
    variants: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Promotion:
    percent_off: Decimal
    valid_from: datetime
    valid_to: datetime | None


@dataclass(frozen=True)
class Catalog:
    periods: tuple[Period, ...]
    promotions: tuple[Promotion, ...]


class Refused(Exception):
    """The documented 422: a variant the price does not offer, or batch with a service tier."""

    def __init__(self, field_name: str) -> None:
        super().__init__(field_name)
        self.field = field_name


# --- The oracle: the documented rules, slowly, in Fractions ----------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OracleRates = tuple[Fraction, Fraction, Fraction | None, Fraction | None]


def oracle_variant(processing: str, service_tier: str) -> str | None:
    if processing == "batch" and service_tier != "standard":
        raise Refused("service_tier")
    if processing == "batch":
        return "batch"
    return None if service_tier == "standard" else service_tier


def minutes_of(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def window_is_open(window: Window, instant: datetime) -> bool:
    """Whether the local clock at `instant` shows a time inside an opening that started on an allowed day."""
    local = instant.astimezone(ZoneInfo(window.timezone)).replace(tzinfo=None)
    start, end = minutes_of(window.start), minutes_of(window.end)
    for days_back in (0, 1, 2):
        day = local.date() - timedelta(days=days_back)
        if WEEKDAYS[day.weekday()] not in window.days or day in window.excluded_dates:
            continue
        midnight = datetime.combine(day, time())
        opens = midnight + timedelta(minutes=start)
        closes = midnight + timedelta(minutes=end)
        if end <= start:
            closes += timedelta(days=1)  # an end at or before the start is on the next day
        if opens <= local < closes:
            return True
    return False


def covers(valid_from: datetime, valid_to: datetime | None, at: datetime) -> bool:
    return valid_from <= at and (valid_to is None or at < valid_to)


def oracle_rates(catalog: Catalog, prompt_tokens: int, kind: str | None, at: datetime,
                 requested_at: datetime) -> OracleRates | None:
    """The rates per 1M tokens charged, or None when no price period covers `at`."""
    periods = [period for period in catalog.periods if covers(period.valid_from, period.valid_to, at)]
    if not periods:
        return None
    (period,) = periods
    # 1. The tier with the highest threshold strictly below the prompt replaces every rate.
    below = [tier for tier in period.tiers if tier.above_prompt_tokens < prompt_tokens]
    rates = max(below, key=lambda tier: tier.above_prompt_tokens).rates if below else period.rates
    factor = Fraction(1)
    # 2. The variant multiplies every rate; one the price does not offer is refused.
    if kind is not None:
        if kind not in period.variants:
            raise Refused("processing" if kind == "batch" else "service_tier")
        factor *= Fraction(period.variants[kind])
    # 3. The first window listed that is open at requested_at multiplies every rate; windows do not stack.
    for window in period.windows:
        if window_is_open(window, requested_at):
            factor *= Fraction(window.multiplier)
            break
    # 4. Every promotion in force at `at` lowers every rate.
    for promotion in catalog.promotions:
        if covers(promotion.valid_from, promotion.valid_to, at):
            factor *= (100 - Fraction(promotion.percent_off)) / 100

    def times(price: Decimal | None) -> Fraction | None:
        return None if price is None else Fraction(price) * factor

    return (Fraction(rates.input) * factor, Fraction(rates.output) * factor, times(rates.cache_read),
            times(rates.cache_write))


def oracle_cost(rates: OracleRates, tokens: tuple[int, int, int, int]) -> Fraction:
    """USD for one session: input_tokens counts cache hits; an unknown cache price is the input price."""
    input_tokens, output_tokens, cached, writes = tokens
    input_rate, output_rate, read_rate, write_rate = rates
    read_rate = input_rate if read_rate is None else read_rate
    write_rate = input_rate if write_rate is None else write_rate
    return ((input_tokens - cached) * input_rate + cached * read_rate + output_tokens * output_rate
            + writes * write_rate) / 1_000_000


def as_fractions(prices: TokenPrices) -> OracleRates:
    def exact(price: Decimal | None) -> Fraction | None:
        return None if price is None else Fraction(price)

    return (Fraction(prices.input_per_mtok), Fraction(prices.output_per_mtok), exact(prices.cache_read_per_mtok),
            exact(prices.cache_write_per_mtok))


# --- The same data in the service's types ----------------------------------------------------------------------


def token_prices(rates: Rates) -> TokenPrices:
    return TokenPrices(rates.input, rates.output, rates.cache_read, rates.cache_write)


def to_timeline(catalog: Catalog) -> ModelTimeline:
    periods = [
        PricePeriod(number, period.valid_from, period.valid_to, token_prices(period.rates), PriceRules(
            tiers=tuple(ContextTier(tier.above_prompt_tokens, token_prices(tier.rates)) for tier in period.tiers),
            windows=tuple(
                TimeWindow(f"window {index}", DailyWindow(
                    window.timezone, parse_days(window.days), parse_clock(window.start, "start"),
                    parse_clock(window.end, "end", allow_24=True), window.excluded_dates), window.multiplier)
                for index, window in enumerate(period.windows)),
            variants=tuple(Variant(kind, multiplier) for kind, multiplier in period.variants.items()),
        ))
        for number, period in enumerate(catalog.periods, start=1)
    ]
    discounts = [Discount(number, f"promotion {number}", promotion.percent_off, promotion.valid_from,
                          promotion.valid_to)
                 for number, promotion in enumerate(catalog.promotions, start=1)]
    return ModelTimeline(periods, discounts)


# --- Generated catalogs, usages and instants ------------------------------------------------------------------

# DST in both hemispheres, a 30-minute DST shift (Lord Howe), odd offsets (Kolkata, St John's, Chatham), none.
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns",
         "Pacific/Chatham", "Australia/Sydney")
# Days around clock changes in 2026 (US and EU spring and autumn, Australia's April and October, New Zealand's
# September), Christmas, and an ordinary week: instants, cuts and excluded dates are drawn near one of them.
ANCHORS = tuple(datetime(2026, month, day, tzinfo=UTC) for month, day in (
    (3, 8), (3, 29), (4, 5), (6, 15), (9, 27), (10, 4), (10, 25), (11, 1), (12, 25)))
NEAR = 3 * 24 * 60  # minutes either side of the anchor
VARIANT_KINDS = ("batch", "flex", "priority")

amounts = st.builds(lambda digits, places: Decimal(digits).scaleb(-places), st.integers(0, 10**7), st.integers(0, 6))
multipliers = st.one_of(st.integers(1, 1000).map(lambda n: Decimal(n).scaleb(-2)), st.just(Decimal(1)))
percents = st.one_of(st.integers(1, 100).map(Decimal), st.integers(1, 999).map(lambda n: Decimal(n).scaleb(-1)))


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def rates(draw: st.DrawFn) -> Rates:
    return Rates(draw(amounts), draw(amounts), draw(st.none() | amounts), draw(st.none() | amounts))


@st.composite
def windows(draw: st.DrawFn, anchor: datetime) -> Window:
    start = draw(st.integers(0, 1439))
    end = draw(st.integers(0, 1439))
    end += end >= start  # 0 to 24:00, never the start
    days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    excluded = frozenset(anchor.date() + timedelta(days=n) for n in draw(st.frozensets(st.integers(-4, 4), max_size=4)))
    return Window(tuple(days), clock(start), clock(end), draw(st.sampled_from(ZONES)), excluded, draw(multipliers))


@st.composite
def periods(draw: st.DrawFn, anchor: datetime, valid_from: datetime, valid_to: datetime | None) -> Period:
    thresholds = sorted(draw(st.sets(st.integers(1, 10**6), max_size=3)))
    kinds = draw(st.lists(st.sampled_from(VARIANT_KINDS), unique=True))
    return Period(
        valid_from, valid_to, draw(rates()),
        tiers=tuple(Tier(threshold, draw(rates())) for threshold in thresholds),
        windows=tuple(draw(st.lists(windows(anchor), max_size=3))),
        variants={kind: draw(multipliers) for kind in kinds},
    )


# Strategies are built once, here: a fresh `.map(lambda …)` per draw costs hypothesis a compile() each time.
near_minutes = st.integers(-NEAR, NEAR)
# Whole minutes often (window edges and clock changes fall on them), a microsecond before one, any microsecond.
microseconds = st.one_of(st.just(0), st.just(-1), st.integers(0, 60 * 10**6 - 1))


def minute_near(draw: st.DrawFn, anchor: datetime) -> datetime:
    return anchor + timedelta(minutes=draw(near_minutes))


def instant_near(draw: st.DrawFn, anchor: datetime) -> datetime:
    return minute_near(draw, anchor) + timedelta(microseconds=draw(microseconds))


@st.composite
def catalogs(draw: st.DrawFn, anchor: datetime, *, gaps: bool = True) -> Catalog:
    """One or two price periods cut near the anchor (with a gap between them, sometimes), and promotions."""
    first_from = anchor - timedelta(days=30)
    if draw(st.booleans()):
        found = (draw(periods(anchor, first_from, None)),)
    else:
        cut = minute_near(draw, anchor)
        gap = timedelta(minutes=draw(st.integers(0, 600))) if gaps and draw(st.booleans()) else timedelta(0)
        found = (draw(periods(anchor, first_from, cut)), draw(periods(anchor, cut + gap, None)))
    promotions = []
    for _ in range(draw(st.integers(0, 2))):
        begins = minute_near(draw, anchor)
        length = draw(st.none() | st.integers(1, NEAR))
        ends = None if length is None else begins + timedelta(minutes=length)
        promotions.append(Promotion(draw(percents), begins, ends))
    return Catalog(found, tuple(promotions))


@st.composite
def token_counts(draw: st.DrawFn, catalog: Catalog) -> tuple[int, int, int, int]:
    """(input, output, cached input, cache writes); the prompt is often a tier's threshold, or one off it."""
    thresholds = [tier.above_prompt_tokens for period in catalog.periods for tier in period.tiers]
    if thresholds and draw(st.booleans()):
        prompt = draw(st.sampled_from(thresholds)) + draw(st.sampled_from((-1, 0, 1)))
    else:
        prompt = draw(st.integers(0, 2 * 10**6))
    writes = draw(st.integers(0, prompt))
    input_tokens = prompt - writes
    return input_tokens, draw(st.integers(0, 10**6)), draw(st.integers(0, input_tokens)), writes


@st.composite
def requests(draw: st.DrawFn) -> tuple[Catalog, tuple[int, int, int, int], str, str, datetime, datetime]:
    anchor = draw(st.sampled_from(ANCHORS))
    catalog = draw(catalogs(anchor))
    tokens = draw(token_counts(catalog))
    processing = draw(st.sampled_from(("standard", "batch")))
    service_tier = draw(st.sampled_from(("standard", "flex", "priority")))
    at = instant_near(draw, anchor)
    requested_at = at if draw(st.booleans()) else instant_near(draw, anchor)
    return catalog, tokens, processing, service_tier, at, requested_at


# --- The service against the oracle -----------------------------------------------------------------------------


def service_rates(catalog: Catalog, usage: Usage, processing: str, service_tier: str, at: datetime,
                  requested_at: datetime) -> TokenPrices | None:
    kind = variant_kind(processing, service_tier)
    found = to_timeline(catalog).price_at(at)
    return None if found is None else charged_at(found, usage.prompt_tokens, kind, requested_at).rates


@oracle_settings
@given(requests(), st.integers(0, 1000), st.integers(100, 1000).map(lambda n: Decimal(n).scaleb(-2)))
def test_a_request_is_charged_what_the_documented_rules_say(
    drawn: tuple[Catalog, tuple[int, int, int, int], str, str, datetime, datetime], sessions: int,
    retry_factor: Decimal,
) -> None:
    catalog, tokens, processing, service_tier, at, requested_at = drawn
    usage = Usage(*tokens)
    try:
        expected = oracle_rates(catalog, tokens[0] + tokens[3], oracle_variant(processing, service_tier), at,
                                requested_at)
    except Refused as refusal:
        # Refused as bad input (a variant not offered, or batch with a tier), naming the same field.
        with pytest.raises(InputError) as caught:
            service_rates(catalog, usage, processing, service_tier, at, requested_at)
        assert caught.value.path == (refusal.field,)
        return
    charged = service_rates(catalog, usage, processing, service_tier, at, requested_at)
    if expected is None:
        assert charged is None
        return
    assert charged is not None
    assert as_fractions(charged) == expected
    priced = estimate(charged, usage, sessions, retry_factor)
    assert Fraction(priced.cost.per_session) == oracle_cost(expected, tokens)
    assert Fraction(priced.total) == oracle_cost(expected, tokens) * sessions * Fraction(retry_factor)


@st.composite
def spans(draw: st.DrawFn) -> tuple[Catalog, int, str | None, datetime, datetime]:
    """A gapless catalog, a prompt, a variant every period offers (or none), and a span of up to two days."""
    anchor = draw(st.sampled_from(ANCHORS))
    catalog = draw(catalogs(anchor, gaps=False))
    offered = set(VARIANT_KINDS).intersection(*(period.variants for period in catalog.periods))
    kind = draw(st.none() | st.sampled_from(sorted(offered))) if offered else None
    start = minute_near(draw, anchor)
    end = start + timedelta(minutes=draw(st.integers(1, 2 * 24 * 60)))
    tokens = draw(token_counts(catalog))
    return catalog, tokens[0] + tokens[3], kind, start, end


@oracle_settings
@given(spans())
def test_a_span_is_cut_into_stretches_charged_what_the_documented_rules_say(
    span: tuple[Catalog, int, str | None, datetime, datetime],
) -> None:
    catalog, prompt, kind, start, end = span
    stretches = rated_stretches(to_timeline(catalog), start, end, prompt, kind)
    assert stretches[0].start == start
    assert stretches[-1].end == end
    one = timedelta(microseconds=1)
    for stretch, following in pairwise(stretches):
        assert stretch.end == following.start
    for stretch in stretches:
        assert stretch.start < stretch.end
        middle = stretch.start + (stretch.end - stretch.start) / 2
        for probe in (stretch.start, middle, stretch.end - one):
            expected = oracle_rates(catalog, prompt, kind, probe, probe)
            assert expected is not None
            assert as_fractions(stretch.charged.rates) == expected, probe


def half_even(value: Fraction, places: int) -> Fraction:
    return Fraction(round(value * 10**places), 10**places)  # round() on a Fraction is half-even


@settings(deadline=None, max_examples=40)
@given(spans(), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 10**6))
def test_a_spread_costs_the_minute_by_minute_sum_of_the_documented_rates(
    span: tuple[Catalog, int, str | None, datetime, datetime], input_tokens: int, output_tokens: int,
    sessions: int,
) -> None:
    # Every cut (window edges on whole local minutes in zones with whole-minute offsets, price periods and
    # promotions on whole minutes) falls on a whole UTC minute, so the rates are constant within each minute and
    # the exact cost of an even spread is the mean over the minutes.
    catalog, _, kind, start, end = span
    usage = Usage(input_tokens, output_tokens)
    minutes = int((end - start) / timedelta(minutes=1))
    costs = Fraction(0)
    for minute in range(minutes):
        instant = start + timedelta(minutes=minute)
        rates = oracle_rates(catalog, input_tokens, kind, instant, instant)
        assert rates is not None
        costs += oracle_cost(rates, (input_tokens, output_tokens, 0, 0))
    spread = spread_over_window(to_timeline(catalog), usage, Decimal(sessions), Decimal(1), start, end, kind=kind)
    assert Fraction(spread.total) == half_even(costs * sessions / minutes, 10)
