"""Hypothesis: a rule set prices every request exactly as its expansion into plain flat periods does."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from service.pricing.charging import charged_at, expand_to_flat
from service.pricing.estimate import estimate
from service.pricing.money import MONEY_CONTEXT
from service.pricing.monthly import spread_over_window
from service.pricing.prices import TokenPrices
from service.pricing.rules import VARIANT_KINDS, ContextTier, PriceRules, TimeWindow, Variant
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.pricing.usage import Usage
from service.pricing.windows import DailyWindow

relaxed = settings(deadline=None, max_examples=150)

# Zones with DST in either hemisphere, a 30-minute DST shift (Lord Howe), odd offsets, and none at all.
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns",
         "Pacific/Chatham", "Asia/Shanghai")
START = datetime(2026, 1, 1, tzinfo=UTC)

prices = st.integers(0, 10**8).map(lambda n: Decimal(n).scaleb(-4))
token_prices = st.builds(TokenPrices, prices, prices, st.none() | prices, st.none() | prices)
multipliers = st.integers(1, 1000).map(lambda n: Decimal(n).scaleb(-2))
minutes = st.integers(0, 1439)


@st.composite
def daily_windows(draw: st.DrawFn) -> DailyWindow:
    start = draw(minutes)
    end = draw(st.integers(0, 1440).filter(lambda m: m != start))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    excluded = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))
    return DailyWindow(draw(st.sampled_from(ZONES)), days, start, end, excluded)


@st.composite
def rule_sets(draw: st.DrawFn) -> PriceRules:
    thresholds = sorted(draw(st.sets(st.integers(1, 10**6), max_size=3)))
    tiers = tuple(ContextTier(t, draw(token_prices)) for t in thresholds)
    windows = tuple(TimeWindow(f"w{n}", draw(daily_windows()), draw(multipliers))
                    for n in range(draw(st.integers(0, 3))))
    kinds = draw(st.sets(st.sampled_from(VARIANT_KINDS)))
    variants = tuple(Variant(kind, draw(multipliers)) for kind in sorted(kinds))
    return PriceRules(tiers, windows, variants)


@st.composite
def timelines(draw: st.DrawFn) -> ModelTimeline:
    cut = START + timedelta(minutes=draw(st.integers(1, 60 * 24 * 40)))
    periods = [PricePeriod(1, START - timedelta(days=10), cut, draw(token_prices), draw(rule_sets())),
               PricePeriod(2, cut, None, draw(token_prices), draw(rule_sets()))]
    discounts = []
    if draw(st.booleans()):
        begins = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40)))
        discounts.append(Discount(1, "promo", draw(st.integers(1, 100).map(Decimal)), begins,
                                  begins + timedelta(minutes=draw(st.integers(1, 60 * 24 * 20)))))
    return ModelTimeline(periods, discounts)


def offered(timeline: ModelTimeline, at: datetime, kind: str | None) -> bool:
    found = timeline.price_at(at)
    return found is not None and (kind is None or any(v.kind == kind for v in found.period.rules.variants))


# Instants anywhere in 45 days, to the microsecond, so window edges and clock changes are hit too.
offsets = st.integers(0, 45 * 24 * 3600 * 10**6 - 1).map(lambda us: START + timedelta(microseconds=us))
kinds = st.none() | st.sampled_from(VARIANT_KINDS)


@relaxed
@given(timelines(), st.integers(0, 2 * 10**6), kinds, st.lists(offsets, min_size=1, max_size=30))
def test_rules_price_every_request_as_their_flat_expansion(
    timeline: ModelTimeline, prompt: int, kind: str | None, instants: list[datetime]
) -> None:
    end = START + timedelta(days=45)
    if not all(offered(timeline, at, kind) for at in (START, end - timedelta(microseconds=1))):
        kind = None  # the variant is not offered throughout: expand the standard rate instead
    flat = ModelTimeline(expand_to_flat(timeline, START, end, prompt, kind))
    for at in instants:
        found = timeline.price_at(at)
        assert found is not None
        expanded = flat.price_at(at)
        assert expanded is not None
        assert charged_at(found, prompt, kind, at).rates == expanded.effective, at


@relaxed
@given(daily_windows(), offsets, st.integers(1, 10 * 24 * 3600))
def test_a_window_contains_exactly_the_instants_of_its_spans(window: DailyWindow, start: datetime, length: int) -> None:
    end = start + timedelta(seconds=length)
    spans = window.spans(start, end)
    probes = {start, end - timedelta(microseconds=1)}
    for low, high in spans:
        assert start <= low < high <= end
        probes |= {low, high - timedelta(microseconds=1), low - timedelta(seconds=1), high}
    for at in probes:
        if start <= at < end:
            assert window.contains(at) == any(low <= at < high for low, high in spans), at


@relaxed
@given(timelines(), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_a_month_under_rules_costs_what_its_flat_expansion_costs(
    timeline: ModelTimeline, input_tokens: int, output_tokens: int, sessions: int
) -> None:
    usage = Usage(input_tokens, output_tokens)
    start, end = START + timedelta(days=3), START + timedelta(days=34)
    ruled = spread_over_window(timeline, usage, Decimal(sessions), Decimal(1), start, end)
    flat = ModelTimeline(expand_to_flat(timeline, start, end, usage.prompt_tokens, None))
    expanded = spread_over_window(flat, usage, Decimal(sessions), Decimal(1), start, end)
    assert ruled.total == expanded.total
    with localcontext(MONEY_CONTEXT):
        assert ruled.total == sum((p.estimate.total for p in ruled.periods), Decimal(0))


@relaxed
@given(timelines(), st.integers(0, 10**6), offsets)
def test_a_higher_tier_never_charges_a_smaller_prompt(timeline: ModelTimeline, prompt: int, at: datetime) -> None:
    found = timeline.price_at(at)
    assert found is not None
    tier = charged_at(found, prompt, None, at).tier
    if tier is not None:
        assert prompt > tier.above_prompt_tokens
    assert estimate(charged_at(found, prompt, None, at).rates, Usage(prompt, 0)).total >= 0
