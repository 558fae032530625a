"""Hypothesis properties of the core: linearity, exact sums, ratios, prorating, formatting, lookups."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from service.pricing.compare import compare
from service.pricing.estimate import estimate
from service.pricing.money import format_decimal, parse_decimal
from service.pricing.monthly import spread_over_window
from service.pricing.prices import TokenPrices, apply_discounts
from service.pricing.timeline import Discount, EffectivePrice, ModelTimeline, PricePeriod
from service.pricing.usage import Usage

# Decimal arithmetic on 100-digit contexts is fast but uneven; a per-example deadline would only add flakiness.
relaxed = settings(deadline=None)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

# Prices up to $1000 per 1M with 12 fraction digits: the full precision the API accepts.
prices_per_mtok = st.integers(0, 10**15).map(lambda n: Decimal(n).scaleb(-12))
optional_prices = st.none() | prices_per_mtok
token_prices = st.builds(TokenPrices, prices_per_mtok, prices_per_mtok, optional_prices, optional_prices)
percents = st.integers(1, 10**14).map(lambda n: Decimal(n).scaleb(-12))  # (0, 100] with 12 fraction digits
retry_factors = st.integers(10**12, 10**13).map(lambda n: Decimal(n).scaleb(-12))
session_counts = st.integers(0, 10**9).map(Decimal) | st.integers(0, 10**12).map(lambda n: Decimal(n).scaleb(-3))


@st.composite
def usages(draw: st.DrawFn, limit: int = 10**9) -> Usage:
    input_tokens = draw(st.integers(0, limit))
    cached = draw(st.integers(0, input_tokens))
    return Usage(input_tokens, draw(st.integers(0, limit)), cached, draw(st.integers(0, limit)))


def half_even(value: Fraction, places: int) -> Decimal:
    # An oracle independent of the decimal module: Fraction rounds half to even exactly.
    rounded = round(value, places)
    with localcontext(prec=200):  # the denominator divides 10**places: the quotient is exact
        return Decimal(rounded.numerator) / Decimal(rounded.denominator)


@relaxed
@given(token_prices, usages(limit=10**12), st.integers(1, 1000))
def test_cost_is_linear_in_tokens(prices: TokenPrices, usage: Usage, k: int) -> None:
    counts = (usage.input_tokens, usage.output_tokens, usage.cached_input_tokens, usage.cache_write_tokens)
    scaled = Usage(*(k * count for count in counts))
    assert Fraction(estimate(prices, scaled).total) == k * Fraction(estimate(prices, usage).total)


@relaxed
@given(token_prices, usages(), session_counts, retry_factors)
def test_cost_is_linear_in_sessions_and_retry_factor(
    prices: TokenPrices, usage: Usage, sessions: Decimal, retry: Decimal
) -> None:
    result = estimate(prices, usage, sessions, retry)
    assert Fraction(result.total) == Fraction(result.cost.per_session) * Fraction(sessions) * Fraction(retry)


@relaxed
@given(token_prices, usages(), session_counts, session_counts, retry_factors)
def test_estimates_of_two_batches_add_up_to_the_estimate_of_both(
    prices: TokenPrices, usage: Usage, first: Decimal, second: Decimal, retry: Decimal
) -> None:
    # Summed as fractions: these totals can have more digits than the default 28-digit context keeps.
    apart = Fraction(estimate(prices, usage, first, retry).total) + Fraction(
        estimate(prices, usage, second, retry).total
    )
    assert apart == Fraction(estimate(prices, usage, first + second, retry).total)


@relaxed
@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=3), token_prices, min_size=1, max_size=6), usages())
def test_ratios_are_the_single_estimates_divided_and_rounded_half_even(
    prices_by_model: dict[str, TokenPrices], usage: Usage
) -> None:
    estimates = {model: estimate(prices, usage) for model, prices in prices_by_model.items()}
    baseline = min(estimates)
    base = estimates[baseline]
    rows = compare(baseline, estimates)
    assert [(row.estimate.total, row.model) for row in rows] == sorted((e.total, m) for m, e in estimates.items())
    for row in rows:
        if base.total:
            assert row.total_ratio == half_even(Fraction(row.estimate.total) / Fraction(base.total), 2)
        else:
            assert row.total_ratio is None
        if base.cost.output:
            assert row.output_ratio == half_even(Fraction(row.estimate.cost.output) / Fraction(base.cost.output), 2)


@relaxed
@given(token_prices, st.lists(percents, max_size=3))
def test_a_discount_never_raises_any_price(prices: TokenPrices, percents_off: list[Decimal]) -> None:
    discounted = apply_discounts(prices, percents_off)
    for field in ("input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok"):
        before, after = getattr(prices, field), getattr(discounted, field)
        assert (before is None) == (after is None)
        if before is not None:
            assert 0 <= after <= before


@relaxed
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_format_decimal_is_plain_and_round_trips(value: Decimal) -> None:
    text = format_decimal(value)
    assert "e" not in text.lower()
    assert Decimal(text) == value
    if "." in text:
        assert not text.endswith(("0", "."))
    assert text != "-0"


@relaxed
@given(prices_per_mtok)
def test_parse_decimal_reads_back_what_format_decimal_writes(value: Decimal) -> None:
    assert parse_decimal(format_decimal(value), field="price") == value


@st.composite
def timelines(draw: st.DrawFn) -> tuple[list[PricePeriod], list[Discount]]:
    # Hours since EPOCH; sorted distinct cut points turned into non-overlapping periods, some left as gaps.
    cuts = sorted(draw(st.sets(st.integers(0, 2000), min_size=1, max_size=12)))
    periods = []
    for index, (start, end) in enumerate(zip(cuts, [*cuts[1:], None], strict=True)):
        if draw(st.booleans()):
            end_at = None if end is None else EPOCH + timedelta(hours=end)
            periods.append(PricePeriod(index, EPOCH + timedelta(hours=start), end_at, draw(token_prices)))
    discounts = []
    for index in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, 2000))
        length = draw(st.none() | st.integers(1, 500))
        end_at = None if length is None else EPOCH + timedelta(hours=start + length)
        discounts.append(Discount(index, f"promo {index}", draw(percents), EPOCH + timedelta(hours=start), end_at))
    return periods, discounts


def covers(item: PricePeriod | Discount, at: datetime) -> bool:
    return item.valid_from <= at and (item.valid_to is None or at < item.valid_to)


def brute_force_price(periods: list[PricePeriod], discounts: list[Discount], at: datetime) -> EffectivePrice | None:
    period = next((p for p in periods if covers(p, at)), None)
    if period is None:
        return None
    active = tuple(sorted((d for d in discounts if covers(d, at)), key=lambda d: (d.valid_from, d.id)))
    return EffectivePrice(period, active, apply_discounts(period.prices, [d.percent_off for d in active]))


@relaxed
@given(timelines(), st.lists(st.integers(-10, 2600 * 60), min_size=1, max_size=20), st.randoms())
def test_price_at_agrees_with_a_linear_scan(
    drawn: tuple[list[PricePeriod], list[Discount]], minutes: list[int], shuffler: random.Random
) -> None:
    periods, discounts = drawn
    shuffled = list(periods)
    shuffler.shuffle(shuffled)
    timeline = ModelTimeline(shuffled, discounts)
    for offset in minutes:
        at = EPOCH + timedelta(minutes=offset)
        assert timeline.price_at(at) == brute_force_price(periods, discounts, at)


@relaxed
@given(timelines(), st.integers(-100, 2500), st.integers(1, 2500))
def test_stretches_tile_the_window_and_match_price_at(
    drawn: tuple[list[PricePeriod], list[Discount]], start_hour: int, hours: int
) -> None:
    timeline = ModelTimeline(*drawn)
    start, end = EPOCH + timedelta(hours=start_hour), EPOCH + timedelta(hours=start_hour + hours)
    stretches = timeline.stretches(start, end)
    assert stretches[0].start == start and stretches[-1].end == end
    for earlier, later in pairwise(stretches):
        assert earlier.end == later.start
        assert earlier.price != later.price
    for stretch in stretches:
        assert stretch.start < stretch.end
        assert timeline.price_at(stretch.start) == stretch.price
        assert timeline.price_at(stretch.end - timedelta(microseconds=1)) == stretch.price


@relaxed
@given(
    st.lists(token_prices, min_size=1, max_size=5),
    st.lists(st.integers(1, 40 * 24 * 60), min_size=4, max_size=4, unique=True),
    usages(limit=10**7),
    session_counts,
    retry_factors,
)
def test_monthly_periods_add_up_to_the_rounded_exact_total_each_within_one_unit(
    prices: list[TokenPrices], cut_minutes: list[int], usage: Usage, sessions: Decimal, retry: Decimal
) -> None:
    cuts = sorted(EPOCH + timedelta(minutes=m) for m in cut_minutes[: len(prices) - 1])
    starts = [EPOCH, *cuts]
    ends: list[datetime | None] = [*cuts, None]
    timeline = ModelTimeline(
        PricePeriod(i, s, e, p) for i, (s, e, p) in enumerate(zip(starts, ends, prices, strict=True))
    )
    start, end = EPOCH, EPOCH + timedelta(days=31)
    result = spread_over_window(timeline, usage, sessions, retry, start, end)
    assert Fraction(result.total) == sum(Fraction(period.estimate.total) for period in result.periods)
    window = Fraction((end - start) // timedelta(microseconds=1))
    unit = Fraction(1, 10**10)
    exact_total = Fraction(0)
    for period in result.periods:
        share = Fraction((period.end - period.start) // timedelta(microseconds=1)) / window
        exact = Fraction(period.estimate.cost.per_session) * Fraction(sessions) * Fraction(retry) * share
        exact_total += exact
        assert abs(Fraction(period.estimate.total) - exact) < unit
        assert abs(Fraction(period.sessions) - Fraction(sessions) * share) < unit
    assert result.total == half_even(exact_total, 10)
    assert sum(Fraction(period.sessions) for period in result.periods) == Fraction(half_even(Fraction(sessions), 10))
