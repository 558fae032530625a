"""Per-request fees, audio and image tokens and one-hour cache writes: each charged at its own price, exactly."""

from decimal import Decimal

import pytest

from service.pricing.estimate import MoreCost, SessionCost, estimate
from service.pricing.prices import TokenPrices, apply_discounts
from service.pricing.rules import ContextTier, PriceRules, Variant, charge
from service.pricing.usage import MoreUsage, Usage, UsageError

# Like gpt-4o-audio: text 2.5 / 10, audio 40 / 80; images 5 / 30; cache writes 3.75 (5 min) and 6 (1 h);
# 0.005 a request.
ALL = TokenPrices(
    Decimal("2.5"), Decimal(10), cache_read_per_mtok=Decimal("1.25"), cache_write_per_mtok=Decimal("3.75"),
    per_request=Decimal("0.005"), audio_input_per_mtok=Decimal(40), audio_output_per_mtok=Decimal(80),
    image_input_per_mtok=Decimal(5), image_output_per_mtok=Decimal(30), cache_write_1h_per_mtok=Decimal(6),
)
TEXT_ONLY = TokenPrices(Decimal("2.5"), Decimal(10))


def test_each_new_kind_is_charged_at_its_own_price_and_the_text_part_at_the_text_price() -> None:
    more = MoreUsage(requests=3, audio_input_tokens=10_000, audio_output_tokens=2_000, image_input_tokens=4_000,
                     image_output_tokens=1_000, cache_write_1h_tokens=5_000)
    usage = Usage(100_000, 10_000, cached_input_tokens=20_000, cache_write_tokens=8_000, more=more)
    result = estimate(ALL, usage)
    assert result.cost == SessionCost(
        input=Decimal("0.165"),  # (100,000 - 20,000 cached - 10,000 audio - 4,000 image) x 2.5 / 1M
        cached_input=Decimal("0.025"),
        output=Decimal("0.07"),  # (10,000 - 2,000 - 1,000) x 10 / 1M
        cache_write=Decimal("0.01125"),  # 3,000 five-minute writes x 3.75 / 1M
        per_session=Decimal("0.92625"),
        more=MoreCost(requests=Decimal("0.015"), audio_input=Decimal("0.4"), audio_output=Decimal("0.16"),
                      image_input=Decimal("0.02"), image_output=Decimal("0.03"), cache_write_1h=Decimal("0.03")),
    )
    assert result.warnings == ()
    assert estimate(ALL, usage, sessions=4).total == Decimal("3.705")


def test_requests_are_charged_only_when_the_usage_says_how_many_and_the_answer_says_so() -> None:
    without = estimate(ALL, Usage(1_000_000, 0))
    assert without.total == Decimal("2.5")
    assert without.warnings == ("this price charges 0.005 USD per request, and the usage says no requests: none "
                                "was charged; send `requests` to price them",)
    with_requests = estimate(ALL, Usage(1_000_000, 0, more=MoreUsage(requests=2)))
    assert with_requests.total == Decimal("2.51")
    assert with_requests.warnings == ()


def test_requests_on_a_price_without_a_fee_are_charged_nothing_and_said() -> None:
    result = estimate(TEXT_ONLY, Usage(1_000_000, 0, more=MoreUsage(requests=7)))
    assert result.total == Decimal("2.5")
    assert result.warnings == ("this price states no fee per request: 7 requests were charged nothing",)


def test_unknown_audio_image_and_one_hour_prices_are_never_free_and_are_said() -> None:
    more = MoreUsage(audio_input_tokens=100_000, audio_output_tokens=10_000, image_input_tokens=200_000,
                     image_output_tokens=20_000, cache_write_1h_tokens=40_000)
    result = estimate(TEXT_ONLY, Usage(400_000, 50_000, cache_write_tokens=40_000, more=more))
    # every token at the text price of its side; the one-hour writes at the input price, like unknown writes
    assert result.total == Decimal("1.6")
    assert result.warnings == (  # no five-minute write was made, so its unknown price is not said
        "audio_input_per_mtok is unknown for this price: 100000 audio input tokens were charged at the input price",
        "audio_output_per_mtok is unknown for this price: 10000 audio output tokens were charged at the output price",
        "image_input_per_mtok is unknown for this price: 200000 image input tokens were charged at the input price",
        "image_output_per_mtok is unknown for this price: 20000 image output tokens were charged at the output price",
        "cache_write_1h_per_mtok is unknown for this price: 40000 one-hour cache write tokens were charged at the "
        "input price",
    )


def test_an_unknown_one_hour_price_falls_back_to_the_five_minute_write() -> None:
    prices = TokenPrices(Decimal(3), Decimal(15), cache_write_per_mtok=Decimal("3.75"))
    result = estimate(prices, Usage(0, 0, cache_write_tokens=1_000_000, more=MoreUsage(cache_write_1h_tokens=400_000)))
    assert result.total == Decimal("3.75")
    assert result.warnings == ("cache_write_1h_per_mtok is unknown for this price: 400000 one-hour cache write "
                               "tokens were charged at the cache write price",)


def test_a_usage_with_only_zeros_beyond_the_four_counts_is_the_usual_usage() -> None:
    assert Usage(10, 5, more=MoreUsage()) == Usage(10, 5)
    assert estimate(TEXT_ONLY, Usage(10, 5, more=MoreUsage())).cost.more is None


@pytest.mark.parametrize(("usage", "field"), [
    (lambda: Usage(100, 10, 50, more=MoreUsage(audio_input_tokens=40, image_input_tokens=11)), "audio_input_tokens"),
    (lambda: Usage(100, 10, more=MoreUsage(audio_output_tokens=6, image_output_tokens=5)), "audio_output_tokens"),
    (lambda: Usage(100, 10, cache_write_tokens=5, more=MoreUsage(cache_write_1h_tokens=6)), "cache_write_1h_tokens"),
    (lambda: Usage(100, 10, more=MoreUsage(requests=-1)), "requests"),
    (lambda: Usage(100, 10, more=MoreUsage(requests=True)), "requests"),  # type: ignore[arg-type]
])
def test_a_part_larger_than_its_whole_is_refused_naming_the_field(usage, field) -> None:
    with pytest.raises(UsageError) as refused:
        usage()
    assert refused.value.pointer == f"/{field}"


def test_discounts_variants_and_windows_lower_or_multiply_every_new_price() -> None:
    lowered = apply_discounts(ALL, [Decimal(50)])
    assert lowered.more() == (Decimal("0.0025"), Decimal(20), Decimal(40), Decimal("2.5"), Decimal(15), Decimal(3))
    batch = charge(ALL, PriceRules(variants=(Variant("batch", Decimal("0.5")),)), (), 0, "batch", None).rates
    assert batch.more() == lowered.more()


def test_a_context_tier_keeps_the_period_s_new_prices() -> None:
    tier = ContextTier(200_000, TokenPrices(Decimal(5), Decimal(20)))
    charged = charge(ALL, PriceRules(tiers=(tier,)), (), 300_000, None, None)
    assert charged.rates == TokenPrices(Decimal(5), Decimal(20), *[None] * 2, *ALL.more())
    assert charged.tier is tier
