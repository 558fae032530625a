"""The documented rules of reading: floats, offering ids, one entry per offering, tiered tables, weekday hours."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from service.catalog.importing.amounts import per_million
from service.catalog.importing.genai_prices import parse_genai_prices
from service.catalog.importing.litellm import parse_litellm
from service.catalog.importing.offering_ids import model_slug
from service.catalog.importing.providers import litellm_seller
from service.pricing.money import MoneyError
from service.pricing.prices import TokenPrices
from service.pricing.rules import ContextTier, Variant
from service.pricing.windows import DailyWindow

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


@pytest.mark.parametrize(("value", "price", "rounded_from"), [
    (1.5e-07, Decimal("0.15"), None),  # 1.5e-07 * 1e6 is 0.15000000000000002 as a float; its repr scales exactly
    (1.5000000000000002e-07, Decimal("0.15"), Decimal("0.15000000000000002")),  # noise: rounded, and reported
    (2.5e-06, Decimal("2.5"), None),
    (3, Decimal(3_000_000), None),  # a whole number stays exact
])
def test_a_per_token_float_is_its_shortest_decimal_scaled_to_a_million(value, price, rounded_from):
    assert per_million(value, "x", per_token=True) == (price, rounded_from)


def test_a_number_converted_before_gives_the_same_price_and_a_bad_one_still_names_its_own_field():
    # Converted amounts are remembered by value: the second reading, or one as another field, must not differ,
    # 1 and 1.0 and True must not be taken for each other, and a refused number names each field that sent it.
    assert per_million(2.5e-06, "a", per_token=True) == per_million(2.5e-06, "b", per_token=True) == (
        Decimal("2.5"), None)
    assert per_million(1, "a", per_token=False) == (Decimal(1), None)
    assert per_million(1.0, "a", per_token=True) == (Decimal(1_000_000), None)
    for field in ("first_field", "second_field"):
        with pytest.raises(MoneyError, match=f"{field} must not be negative"):
            per_million(-1.0, field, per_token=True)
        with pytest.raises(MoneyError, match=f"{field} is not a number"):
            per_million(True, field, per_token=True)


def test_a_noisy_price_is_held_rounded_and_the_rounding_is_reported():
    raw = b'{"m": {"litellm_provider": "openai", "input_cost_per_token": 1.5000000000000002e-07,' \
          b' "output_cost_per_token": 6e-07}}'
    parsed = parse_litellm(raw)
    assert parsed.models[0].prices[0].input_per_mtok == Decimal("0.15")
    assert parsed.books.rounded == [
        "m: input_cost_per_token 0.15000000000000002 per 1M rounded to 0.15: more than 12 decimals"]
    assert parsed.skipped == [] and parsed.books.components_held == 2


@pytest.mark.parametrize(("key", "provider", "model"), [
    ("bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", "claude-3-5-sonnet-20240620"),
    ("anthropic.claude-v2:1", "bedrock", "claude-v2-1"),  # Claude 2.1: no version suffix of Bedrock's to drop
    ("deepseek.v3-v1:0", "bedrock", "deepseek-v3"),  # nothing but a version left: the vendor stays
    ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai", "llama-3.3-70b-instruct-turbo"),
    ("vertex_ai/claude-3-5-sonnet@20240620", "vertex_ai-anthropic_models", "claude-3-5-sonnet-20240620"),
    ("azure/eu/gpt-4o", "azure", "gpt-4o"),
])
def test_a_resellers_key_names_the_makers_model(key, provider, model):
    assert model_slug(key, litellm_seller(provider)) == model


def test_two_entries_of_one_offering_keep_the_shorter_key_and_report_the_other():
    raw = b'''{
      "bedrock/us-east-1/anthropic.claude-3-haiku-20240307-v1:0": {"litellm_provider": "bedrock",
        "input_cost_per_token": 3e-07, "output_cost_per_token": 1.5e-06},
      "anthropic.claude-3-haiku-20240307-v1:0": {"litellm_provider": "bedrock",
        "input_cost_per_token": 2.5e-07, "output_cost_per_token": 1.25e-06},
      "claude-3-haiku-20240307": {"litellm_provider": "anthropic",
        "input_cost_per_token": 2.5e-07, "output_cost_per_token": 1.25e-06}}'''
    parsed = parse_litellm(raw)
    assert [(m.id, m.source_key) for m in parsed.models] == [
        ("bedrock/claude-3-haiku-20240307", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("claude-3-haiku-20240307", "claude-3-haiku-20240307")]
    assert parsed.skipped == [
        "bedrock/us-east-1/anthropic.claude-3-haiku-20240307-v1:0: skipped: its offering "
        "bedrock/claude-3-haiku-20240307 is taken by anthropic.claude-3-haiku-20240307-v1:0, the shorter key"]
    assert (parsed.books.entries_skipped, parsed.books.components_named) == (1, 2)


def test_a_tiered_pricing_table_becomes_a_base_price_and_context_tiers_above_each_start():
    raw = b'''{"dashscope/qwen-plus": {"litellm_provider": "dashscope", "output_cost_per_token": 9e-06,
      "tiered_pricing": [
        {"input_cost_per_token": 1.2e-06, "output_cost_per_token": 7.2e-06, "range": [128000.0, 256000.0]},
        {"input_cost_per_token": 4e-07, "output_cost_per_token": 1.2e-06, "range": [0, 128000.0]},
        {"input_cost_per_token": 2.4e-06, "cache_read_input_token_cost": 4.8e-07, "range": [256000.0, 1000000.0]},
        {"input_cost_per_query": 0.004, "max_results_range": [0, 10]}]}}'''
    parsed = parse_litellm(raw)
    price = parsed.models[0].prices[0]
    assert (parsed.models[0].id, price.prices()) == ("qwen-plus", TokenPrices(Decimal("0.4"), Decimal("1.2")))
    # LiteLLM's `start < tokens <= end` is our tier strictly above `start`; a missing output is the entry's own.
    assert price.rules.tiers == (
        ContextTier(128_000, TokenPrices(Decimal("1.2"), Decimal("7.2"))),
        ContextTier(256_000, TokenPrices(Decimal("2.4"), Decimal(9), Decimal("0.48"))))
    # The entry's own output price is held: LiteLLM charges it where a row states none, as the last tier does.
    assert parsed.skipped == [
        "dashscope/qwen-plus: tiered_pricing[3].input_cost_per_query left out: fees per query, message, session, "
        "call or unit are not held"]


def test_a_table_with_a_gap_is_named_and_the_entry_keeps_its_flat_price():
    raw = b'''{"m": {"litellm_provider": "dashscope", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
      "tiered_pricing": [{"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "range": [0, 1000]},
                         {"input_cost_per_token": 2e-06, "output_cost_per_token": 4e-06, "range": [2000, 3000]}]}}'''
    parsed = parse_litellm(raw)
    assert parsed.models[0].prices[0].rules.tiers == ()
    assert {line.split(" left out: ")[1] for line in parsed.skipped} == {
        "tiered_pricing has a gap or an overlap between (0, 1000) and (2000, 3000) tokens"}
    assert parsed.books.components_named == 4 and parsed.books.components_held == 2


def test_weekday_off_peak_hours_past_midnight_are_cut_at_midnight_on_the_same_weekdays():
    raw = b'''{"m": {"litellm_provider": "deepseek", "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06,
      "off_peak_pricing": {"input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06,
        "windows": [{"hours_utc": ["16:30-00:30"], "weekdays": [5]}, {"hours_utc": "00:00-00:00",
                     "weekdays": ["sat", "sun"]}]}}}'''
    parsed = parse_litellm(raw)
    windows = parsed.models[0].prices[0].rules.windows
    # LiteLLM reads the weekday of each instant: Friday 16:30-24:00 and Friday 00:00-00:30, never Saturday 00:15.
    assert [(w.window, w.multiplier) for w in windows] == [
        (DailyWindow("UTC", frozenset({4}), 990, 1440), Decimal("0.5")),
        (DailyWindow("UTC", frozenset({4}), 0, 30), Decimal("0.5")),
        (DailyWindow("UTC", frozenset({5, 6}), 0, 1440), Decimal("0.5"))]
    assert parsed.skipped == [] and parsed.books.components_held == 4


def test_a_key_nobody_classified_is_named_as_unknown_never_dropped():
    raw = b'{"m": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,' \
          b' "input_cost_per_hologram": 0.5}}'
    parsed = parse_litellm(raw)
    assert parsed.skipped == ["m: input_cost_per_hologram left out: an unknown price key: not held"]
    assert parsed.books.balanced


def _genai(variants: str, prices: str = '{"input_mtok": 2, "output_mtok": 8, "cache_read_mtok": 0.2}'):
    raw = ('[{"id": "openai", "models": [{"id": "gpt-x", "prices": ' + prices + ', "price_variants": ' + variants +
           "}]}]").encode()
    return parse_genai_prices(raw, now=NOW)


def test_a_genai_prices_batch_variant_at_one_multiple_becomes_our_batch_rate():
    parsed = _genai('[{"when": {"processing": "batch"}, "constraint": {"start_date": "2026-01-01"}, '
                    '"prices": {"input_mtok": 1, "output_mtok": 4, "cache_read_mtok": 0.1}},'
                    '{"when": {"service_tier": "default"}, "prices": {"input_mtok": 2, "output_mtok": 8}}]')
    assert parsed.models[0].prices[0].rules.variants == (Variant("batch", Decimal("0.5")),)
    assert parsed.skipped == [] and parsed.books.components_held == 8


@pytest.mark.parametrize(("variants", "reason"), [
    ('[{"when": {"service_tier": "fast"}, "prices": {"input_mtok": 4, "output_mtok": 16}}]',
     "prices for requests with service_tier: fast are not held yet"),
    ('[{"when": {"processing": "batch"}, "prices": {"input_mtok": 1, "output_mtok": 2}}]',
     "processing: batch prices are not one multiple of the standard ones (0.5 on input, 0.25 on output)"),
    ('[{"when": {"processing": "batch"}, "constraint": {"start_date": "2099-01-01"}, '
     '"prices": {"input_mtok": 1, "output_mtok": 4}}]',
     "processing: batch prices from 2099-01-01 on, after the import, are not held yet"),
])
def test_a_genai_prices_variant_our_rules_cannot_say_is_named(variants, reason):
    parsed = _genai(variants)
    assert parsed.models[0].prices[0].rules.variants == ()
    assert {line.split(" left out: ")[1] for line in parsed.skipped} == {reason}
    assert parsed.books.balanced and parsed.books.components_held == 3


def test_of_two_started_batch_variants_the_later_one_is_in_force():
    parsed = _genai('[{"when": {"processing": "batch"}, "prices": {"input_mtok": 1.5, "output_mtok": 6}},'
                    '{"when": {"processing": "batch"}, "constraint": {"start_date": "2026-06-01"}, '
                    '"prices": {"input_mtok": 1, "output_mtok": 4}}]')
    assert parsed.models[0].prices[0].rules.variants == (Variant("batch", Decimal("0.5")),)
    assert {line.split(" left out: ")[1] for line in parsed.skipped} == {
        "processing: batch prices replaced by later ones before the import"}


def test_genai_prices_peak_hours_after_the_price_in_force_become_windows_in_reverse_order():
    raw = b'''[{"id": "deepseek", "models": [{"id": "deepseek-v9", "prices": [
      {"prices": {"input_mtok": 0.2, "output_mtok": 0.4}},
      {"constraint": {"start_date": "2026-08-17"}, "prices": {"input_mtok": 0.15, "output_mtok": 0.6}},
      {"constraint": {"start_time": "01:00:00+00:00", "end_time": "04:00:00+00:00"},
       "prices": {"input_mtok": 0.3, "output_mtok": 1.2}},
      {"constraint": {"start_time": "22:00:00", "end_time": "02:00:00"},
       "prices": {"input_mtok": 0.075, "output_mtok": 0.3}}]}]}]'''
    parsed = parse_genai_prices(raw, now=NOW)
    price = parsed.models[0].prices[0]
    assert price.prices() == TokenPrices(Decimal("0.15"), Decimal("0.6"))
    every_day = frozenset(range(7))
    # genai-prices' last listed price wins, our first window: 01:00-02:00 is off-peak in both.
    assert [(w.name, w.window, w.multiplier) for w in price.rules.windows] == [
        ("off-peak", DailyWindow("UTC", every_day, 22 * 60, 2 * 60), Decimal("0.5")),
        ("peak", DailyWindow("UTC", every_day, 60, 4 * 60), Decimal(2))]
    assert {line.split(" left out: ")[1] for line in parsed.skipped} == {
        "a price that ended before the import: history before the import is not replayed"}


def test_genai_prices_peak_hours_that_are_no_single_multiple_are_named():
    raw = b'''[{"id": "deepseek", "models": [{"id": "deepseek-v9", "prices": [
      {"prices": {"input_mtok": 0.2, "output_mtok": 0.4}},
      {"constraint": {"start_time": "01:00:00", "end_time": "04:00:00"},
       "prices": {"input_mtok": 0.4, "output_mtok": 1.2}}]}]}]'''
    parsed = parse_genai_prices(raw, now=NOW)
    assert parsed.models[0].prices[0].rules.windows == ()
    assert {line.split(" left out: ")[1] for line in parsed.skipped} == {
        "time-of-day prices are not one multiple of the standard ones (2 on input, 3 on output)"}


def test_xais_above_keys_start_at_their_bound_as_litellm_bills_them():
    entry = b'''{"grok-x": {"litellm_provider": "xai", "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
        "input_cost_per_token_above_200k_tokens": 4e-06, "output_cost_per_token_above_200k_tokens": 2e-05},
        "other-x": {"litellm_provider": "openai", "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
        "input_cost_per_token_above_200k_tokens": 4e-06, "output_cost_per_token_above_200k_tokens": 2e-05}}'''
    tiers = {model.source_key: [tier.above_prompt_tokens for tier in model.prices[0].rules.tiers]
             for model in parse_litellm(entry).models}
    assert tiers == {"grok-x": [199_999], "other-x": [200_000]}
