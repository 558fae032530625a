"""Context tiers, variants and time windows on one price, and how they combine with promotions."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from service.pricing.charging import charged_at, rated_stretches
from service.pricing.errors import InvalidValue, VariantNotOffered
from service.pricing.estimate import estimate
from service.pricing.prices import TokenPrices
from service.pricing.rules import ContextTier, PriceRules, RuleError, TimeWindow, Variant, variant_kind
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.pricing.usage import Usage
from service.pricing.windows import DailyWindow, parse_days


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def d(text: str) -> Decimal:
    return Decimal(text)


BASE = TokenPrices(d("1.25"), d("10"), d("0.125"))
LONG = ContextTier(200_000, TokenPrices(d("2.5"), d("15"), d("0.25")))
OFF_PEAK = TimeWindow("off-peak", DailyWindow("UTC", parse_days(["mon", "tue", "wed", "thu", "fri"]), 990, 30),
                      d("0.5"))
WEEKEND = TimeWindow("weekend", DailyWindow("UTC", parse_days(["sat", "sun"]), 0, 1440), d("0.25"))
RULES = PriceRules(tiers=(LONG,), windows=(OFF_PEAK, WEEKEND),
                   variants=(Variant("batch", d("0.5")), Variant("priority", d("1.75"))))
PERIOD = PricePeriod(7, utc(2026, 1, 1), None, BASE, RULES)
MONDAY_NOON = utc(2026, 11, 23, 12)


def priced(prompt: int, kind: str | None = None, at: datetime = MONDAY_NOON, discounts=()) -> TokenPrices:
    found = ModelTimeline([PERIOD], discounts).price_at(at)
    assert found is not None
    return charged_at(found, prompt, kind, at).rates


def test_a_250k_token_prompt_is_charged_the_long_context_rate_on_every_token() -> None:
    rates = priced(250_000)
    assert rates == LONG.prices
    # 250K input and 1K output: 250000 x 2.5 / 1M + 1000 x 15 / 1M.
    assert estimate(rates, Usage(250_000, 1_000)).total == d("0.64")


def test_a_prompt_of_exactly_the_threshold_is_not_above_it() -> None:
    assert priced(200_000) == BASE
    assert priced(200_001) == LONG.prices


def test_cache_writes_count_towards_the_prompt_size() -> None:
    assert Usage(150_000, 10, cache_write_tokens=60_000).prompt_tokens == 210_000


def test_batch_halves_and_priority_raises_every_rate() -> None:
    assert priced(1000, "batch") == TokenPrices(d("0.625"), d("5"), d("0.0625"))
    assert priced(1000, "priority") == TokenPrices(d("2.1875"), d("17.5"), d("0.21875"))


def test_rules_combine_tier_then_variant_then_window_then_promotion() -> None:
    friday_evening = utc(2026, 11, 27, 20)
    promotion = Discount(1, "launch", d("10"), utc(2026, 1, 1), None)
    # 2.5 x 0.5 (batch) x 0.5 (off-peak) x 0.9 (10% off) = 0.5625
    assert priced(300_000, "batch", friday_evening, [promotion]).input_per_mtok == d("0.5625")


def test_the_first_window_listed_wins_where_two_are_open() -> None:
    # Friday's off-peak opening runs into Saturday 00:30, where the weekend window is open too.
    assert priced(10, at=utc(2026, 11, 28, 0, 15)).input_per_mtok == d("0.625")
    assert priced(10, at=utc(2026, 11, 28, 0, 45)).input_per_mtok == d("0.3125")


def test_a_variant_the_price_does_not_offer_is_refused_not_charged_at_the_standard_rate() -> None:
    with pytest.raises(VariantNotOffered) as caught:
        priced(10, "flex")
    assert caught.value.path == ("service_tier",)
    flat = ModelTimeline([PricePeriod(1, utc(2026, 1, 1), None, BASE)]).price_at(MONDAY_NOON)
    assert flat is not None
    with pytest.raises(VariantNotOffered) as caught:
        charged_at(flat, 10, "batch", MONDAY_NOON)
    assert caught.value.path == ("processing",)


@pytest.mark.parametrize(("processing", "tier", "kind"), [
    ("standard", "standard", None), ("batch", "standard", "batch"), ("standard", "flex", "flex"),
    ("standard", "priority", "priority"),
])
def test_processing_and_service_tier_name_one_variant(processing: str, tier: str, kind: str | None) -> None:
    assert variant_kind(processing, tier) == kind


def test_batch_with_a_service_tier_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        variant_kind("batch", "priority")
    assert caught.value.path == ("service_tier",)


def test_tiers_must_rise_and_variants_be_distinct() -> None:
    with pytest.raises(RuleError, match="each one higher"):
        PriceRules(tiers=(LONG, LONG))
    with pytest.raises(RuleError, match="at most once"):
        PriceRules(variants=(Variant("batch", d("0.5")), Variant("batch", d("0.4"))))
    with pytest.raises(RuleError, match="multiplier"):
        PriceRules(variants=(Variant("batch", d("0")),))


def test_a_monday_is_cut_into_peak_and_off_peak_stretches() -> None:
    timeline = ModelTimeline([PERIOD])
    parts = rated_stretches(timeline, utc(2026, 11, 23), utc(2026, 11, 24), 10, None)
    assert [(p.start.hour, p.start.minute, p.charged.window and p.charged.window.name) for p in parts] == [
        (0, 0, None), (16, 30, "off-peak"),
    ]
    assert parts[1].charged.rates.input_per_mtok == d("0.625")
