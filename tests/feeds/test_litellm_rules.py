"""The LiteLLM export carries the pricing rules LiteLLM can express, priced exactly as estimates price them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from service.feeds.litellm import encode, litellm_map
from service.pricing.prices import TokenPrices
from service.pricing.rules import FLAT, ContextTier, PriceRules, TimeWindow, Variant
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.pricing.windows import DailyWindow
from service.snapshot.catalog_snapshot import CatalogSnapshot, ModelInfo
from tests.factories import committed_model_and_key

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
EVERY_DAY = frozenset(range(7))
BASE = TokenPrices(Decimal("1.25"), Decimal(10), Decimal("0.125"), Decimal("1.5"))
LONG = ContextTier(200_000, TokenPrices(Decimal("2.5"), Decimal(15), Decimal("0.25"), Decimal(3)))
VARIANTS = (Variant("batch", Decimal("0.5")), Variant("flex", Decimal("0.5")), Variant("priority", Decimal("1.75")))


def _window(start: int, end: int, multiplier: str = "0.5", timezone: str = "UTC", days=EVERY_DAY,
            excluded: frozenset[date] = frozenset(), name: str = "off-peak") -> TimeWindow:
    return TimeWindow(name, DailyWindow(timezone, days, start, end, excluded), Decimal(multiplier))


OFF_PEAK = _window(16 * 60 + 30, 30)  # 16:30-00:30 UTC, crossing midnight


def _entry(rules: PriceRules = FLAT, discounts: tuple[Discount, ...] = ()) -> dict:
    period = PricePeriod(1, datetime(2026, 1, 1, tzinfo=UTC), None, BASE, rules)
    snapshot = CatalogSnapshot(models={"m": ModelInfo("m", "acme", "M", 1_000_000)},
                               timelines={"m": ModelTimeline([period], discounts)}, loaded_at=AT)
    return litellm_map(snapshot, AT, None)["acme/m"]  # a maker LiteLLM does not know: provider/model


def test_a_tier_at_whole_thousands_gets_litellms_above_keys_and_other_thresholds_none():
    entry = _entry(PriceRules(tiers=(ContextTier(150_500, BASE), LONG)))
    assert entry["input_cost_per_token"] == Decimal("0.00000125")  # the standard rate is unchanged
    assert entry["input_cost_per_token_above_200k_tokens"] == Decimal("0.0000025")
    assert entry["output_cost_per_token_above_200k_tokens"] == Decimal("0.000015")
    assert entry["cache_read_input_token_cost_above_200k_tokens"] == Decimal("2.5E-7")
    assert entry["cache_creation_input_token_cost_above_200k_tokens"] == Decimal("0.000003")
    assert not [key for key in entry if "150" in key]


def test_a_tier_without_a_cache_price_gets_no_cache_key():
    entry = _entry(PriceRules(tiers=(ContextTier(128_000, TokenPrices(Decimal(2), Decimal(8))),)))
    assert entry["input_cost_per_token_above_128k_tokens"] == Decimal("0.000002")
    assert "cache_read_input_token_cost_above_128k_tokens" not in entry


def test_batch_flex_and_priority_get_their_keys_and_flex_and_priority_their_tiered_keys():
    entry = _entry(PriceRules(tiers=(LONG,), variants=VARIANTS))
    expected = {
        "input_cost_per_token_batches": "6.25E-7", "output_cost_per_token_batches": "0.000005",
        "input_cost_per_token_flex": "6.25E-7", "output_cost_per_token_flex": "0.000005",
        "cache_read_input_token_cost_flex": "6.25E-8",
        "input_cost_per_token_priority": "0.0000021875", "output_cost_per_token_priority": "0.0000175",
        "cache_read_input_token_cost_priority": "2.1875E-7",
        "input_cost_per_token_above_200k_tokens_priority": "0.000004375",
        "output_cost_per_token_above_200k_tokens_priority": "0.00002625",
        "cache_read_input_token_cost_above_200k_tokens_priority": "4.375E-7",
        "input_cost_per_token_above_200k_tokens_flex": "0.00000125",
        "output_cost_per_token_above_200k_tokens_flex": "0.0000075",
        "cache_read_input_token_cost_above_200k_tokens_flex": "1.25E-7",
    }
    assert {key: entry[key] for key in expected} == {key: Decimal(value) for key, value in expected.items()}
    # LiteLLM has no key for these: a batch rate above a tier, a batch cache rate, a variant's cache write rate.
    assert not [key for key in entry if key.endswith("_batches") and ("above" in key or "cache" in key)]
    assert not [key for key in entry if key.startswith("cache_creation") and key.endswith(("_flex", "_priority"))]


def test_a_price_without_variants_gets_no_variant_keys():
    entry = _entry(PriceRules(tiers=(LONG,)))
    assert not [key for key in entry if key.endswith(("_batches", "_flex", "_priority"))]


def test_a_utc_window_open_every_day_is_litellms_off_peak_pricing():
    entry = _entry(PriceRules(windows=(OFF_PEAK,)))
    assert entry["off_peak_pricing"] == {
        "hours_utc": "16:30-00:30", "input_cost_per_token": Decimal("6.25E-7"),
        "output_cost_per_token": Decimal("0.000005"), "cache_read_input_token_cost": Decimal("6.25E-8"),
        "cache_creation_input_token_cost": Decimal("7.5E-7"),
    }
    assert entry["input_cost_per_token"] == Decimal("0.00000125")  # no window open for the base keys


def test_windows_at_one_rate_share_one_off_peak_and_only_the_first_rate_is_exported():
    whole_day = _window(0, 24 * 60, timezone="Etc/UTC", name="holiday")
    evening = _window(18 * 60, 24 * 60)
    other_rate = _window(2 * 60, 4 * 60, multiplier="0.25")
    entry = _entry(PriceRules(windows=(OFF_PEAK, other_rate, evening, whole_day)))
    assert entry["off_peak_pricing"]["hours_utc"] == ["16:30-00:30", "18:00-00:00", "00:00-00:00"]
    assert entry["off_peak_pricing"]["input_cost_per_token"] == Decimal("6.25E-7")
    later_first = _entry(PriceRules(windows=(other_rate, OFF_PEAK)))["off_peak_pricing"]
    assert later_first["hours_utc"] == "02:00-04:00"
    assert later_first["input_cost_per_token"] == Decimal("3.125E-7")


@pytest.mark.parametrize("window", [
    _window(16 * 60 + 30, 30, days=frozenset(range(5))),
    _window(16 * 60 + 30, 30, timezone="Asia/Shanghai"),
    _window(16 * 60 + 30, 30, excluded=frozenset({date(2026, 12, 25)})),
    _window(9 * 60, 17 * 60, multiplier="2"),
], ids=["weekdays", "shanghai", "excluded-dates", "peak"])
def test_a_window_litellm_cannot_express_is_left_out(window):
    entry = _entry(PriceRules(windows=(window,)))
    assert "off_peak_pricing" not in entry
    assert entry == _entry()  # and nothing else changes either


def test_an_inexpressible_window_before_an_expressible_one_leaves_the_expressible_one_exported():
    entry = _entry(PriceRules(windows=(_window(9 * 60, 17 * 60, multiplier="2", name="peak"), OFF_PEAK)))
    assert entry["off_peak_pricing"]["hours_utc"] == "16:30-00:30"


def _numbers(entry: dict) -> dict[str, Decimal]:
    flat = {key: value for key, value in entry.items() if isinstance(value, Decimal)}
    return flat | {f"off_peak.{key}": value for key, value in entry.get("off_peak_pricing", {}).items()
                   if isinstance(value, Decimal)}


def test_a_promotion_active_at_the_instant_lowers_every_exported_number():
    rules = PriceRules(tiers=(LONG,), windows=(OFF_PEAK,), variants=VARIANTS)
    active = Discount(1, "launch", Decimal(20), datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    over = Discount(2, "old", Decimal(50), datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    full, discounted = _numbers(_entry(rules)), _numbers(_entry(rules, (active, over)))
    # 4 standard, 4 above 200k, 2 batch, 3 flex, 3 priority, 3 + 3 above 200k for flex and priority, 4 off-peak
    assert len(full) == 26 and discounted.keys() == full.keys()
    assert discounted == {key: (value * Decimal("0.8")).normalize() for key, value in full.items()}


def test_the_numbers_survive_encoding_exactly():
    entry = _entry(PriceRules(tiers=(LONG,), windows=(OFF_PEAK,), variants=VARIANTS))
    assert json.loads(encode({"m": entry}), parse_float=Decimal)["m"] == entry


async def test_the_litellm_feed_exports_a_rule_priced_model(committed_client, committed_engine):
    model_id, writer = await committed_model_and_key(committed_engine, "litellmrules")
    _, reader = await committed_model_and_key(committed_engine, "litellmreader", "feeds:read")
    rules = {
        "context_tiers": [{"above_prompt_tokens": 200000, "input_per_mtok": "2.50", "output_per_mtok": "15"}],
        "time_windows": [{"name": "off-peak", "timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                                            "sun"],
                          "start": "16:30", "end": "00:30", "multiplier": "0.5"}],
        "variants": [{"kind": "batch", "multiplier": "0.5"}],
    }
    price = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1.25", "output_per_mtok": "10",
             "source": "test", "rules": rules}
    created = await committed_client.post(f"/v1/models/{model_id}/prices", json=price, headers=writer)
    assert created.status_code == 201, created.text
    for _ in range(200):  # the snapshot follows the commit through NOTIFY
        response = await committed_client.get("/v1/feeds/litellm", params={"at": "2026-06-01"}, headers=reader)
        body = json.loads(response.text, parse_float=Decimal)
        # Its maker is a provider LiteLLM does not know, so LiteLLM would name it provider/model.
        key = next((key for key in body if key.endswith(f"/{model_id}")), None)
        if key is not None:
            break
        await asyncio.sleep(0.01)
    entry = body[key]
    assert entry["input_cost_per_token_above_200k_tokens"] == Decimal("0.0000025")
    assert entry["input_cost_per_token_batches"] == Decimal("6.25E-7")
    assert entry["off_peak_pricing"] == {"hours_utc": "16:30-00:30", "input_cost_per_token": Decimal("6.25E-7"),
                                         "output_cost_per_token": Decimal("0.000005")}
