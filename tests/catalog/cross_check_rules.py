"""The rules that explain each difference between our price and a source's own calculator, by category.

A rule names its category only where it can reproduce the source's answer from the stated cause (the source's
price recomputed the way the cause says it charges); a difference no rule reproduces is unclassified, and the test
fails on it. docs/catalog-sources.md ("Truth") lists the categories, their kinds and counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Any

from service.catalog.importing.amounts import per_million
from service.pricing.prices import TokenPrices
from tests.catalog.cross_check import BY_ITS_ENTRY, INSTANTS, Comparison, Tokens, litellm_agrees

_MILLION = Decimal(1_000_000)
_FIREWORKS_CACHE_SHARE = Decimal("0.5")  # LiteLLM's FIREWORKS_AI_DEFAULT_CACHE_READ_RATE_RATIO
_LITELLM_PRICES = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost")
_ROUNDING = Decimal("5e-19")  # the most a price rounded at its 12th decimal per 1M can move one token's cost


@dataclass(frozen=True, slots=True)
class Rule:
    category: str
    explains: Callable[[Comparison, Any], bool]  # the comparison, and the source's entry for it


def cost(tokens: Tokens, input_per_mtok: Decimal, output_per_mtok: Decimal, cache_read: Decimal | None) -> Decimal:
    """A request at these rates; an unknown cache price is the input price, as ours and both sources read it."""
    cached = input_per_mtok if cache_read is None else cache_read
    return ((tokens.input - tokens.cached) * input_per_mtok + tokens.cached * cached
            + tokens.output * output_per_mtok) / _MILLION


def _tier(c: Comparison) -> tuple[TokenPrices, bool]:
    """The rates our rules charge for this prompt size, and whether a context tier set them."""
    price = c.model.prices[0]
    above = [tier for tier in price.rules.tiers if c.tokens.input > tier.above_prompt_tokens]
    return (above[-1].prices, True) if above else (price.prices(), False)


def _mtok(value: Any) -> Decimal:
    """A LiteLLM price per token as its exact decimal per 1M, before the 12-place rounding of ours."""
    amount = per_million(value, "price", per_token=True)
    return amount.price if amount.rounded_from is None else amount.rounded_from


# --- LiteLLM ---------------------------------------------------------------------------------------------------

def _table_free_without_prompt(c: Comparison, entry: dict[str, Any]) -> bool:
    # LiteLLM picks no tiered_pricing row for a request without prompt tokens, and then charges the entry's
    # top-level prices, which a table entry does not have: the output is free.
    return bool(entry.get("tiered_pricing")) and c.tokens.input == 0 and c.theirs == 0 \
        and entry.get("output_cost_per_token") is None


def _perplexity_ignores_tiers(c: Comparison, entry: dict[str, Any]) -> bool:
    # LiteLLM's perplexity cost function reads only the entry's base prices, never its `_above_` keys.
    base = c.model.prices[0]
    return entry.get("litellm_provider") == "perplexity" and _tier(c)[1] and _agrees(c, cost(
        c.tokens, base.input_per_mtok, base.output_per_mtok, base.cache_read_per_mtok))


def _fireworks_cache_share(c: Comparison, entry: dict[str, Any]) -> bool:
    # An entry without a cache read price: LiteLLM assumes Fireworks reads cache at half the input price; the
    # entry states none, so ours charges cache reads at the input price (with a warning), as for any provider.
    rates, _ = _tier(c)
    return str(entry.get("litellm_provider", "")).startswith("fireworks_ai") and c.tokens.cached > 0 \
        and rates.cache_read_per_mtok is None and _agrees(c, cost(
            c.tokens, rates.input_per_mtok, rates.output_per_mtok, rates.input_per_mtok * _FIREWORKS_CACHE_SHARE))


def _tier_without_cache_price(c: Comparison, entry: dict[str, Any]) -> bool:
    # A tier that states no cache read price: LiteLLM keeps the base cache price there, our rules charge the tier's
    # input price (docs/pricing-rules.md), which never undercharges a long prompt.
    rates, tiered = _tier(c)
    base = c.model.prices[0].cache_read_per_mtok
    return tiered and c.tokens.cached > 0 and rates.cache_read_per_mtok is None and base is not None and _agrees(
        c, cost(c.tokens, rates.input_per_mtok, rates.output_per_mtok, base))


def _off_peak_on_another_calendar(c: Comparison, entry: dict[str, Any]) -> bool:
    # Off-peak hours in UTC on weekdays read in another zone: the import leaves them out and names them.
    block = entry.get("off_peak_pricing") or {}
    if block.get("weekday_timezone") in (None, "UTC", "Etc/UTC") or c.model.prices[0].rules.windows:
        return False
    return _agrees(c, cost(c.tokens, *(_mtok(block[key]) for key in _LITELLM_PRICES)))


def _another_entry_for_the_key(c: Comparison, entry: dict[str, Any], litellm_map: dict[str, Any]) -> bool:
    # Called with its provider, LiteLLM looks the key up as `provider/key` first: where the map holds that entry
    # too, LiteLLM prices the key by it. The import keeps the shorter key for the offering (offering_ids.py).
    other = litellm_map.get(f"{entry.get('litellm_provider')}/{c.model.source_key}")
    if not isinstance(other, dict) or other.get("input_cost_per_token") is None:
        return False
    input_price, output_price, cache_read = (None if other.get(key) is None else _mtok(other[key])
                                             for key in _LITELLM_PRICES)
    return input_price is not None and output_price is not None and _agrees(
        c, cost(c.tokens, input_price, output_price, cache_read))


def _request_fee_not_charged(c: Comparison, entry: dict[str, Any]) -> bool:
    # LiteLLM's cost code reads no `input_cost_per_request`: it charges no fee per request, where ours charges the
    # one request each usage is.
    fee = entry.get("input_cost_per_request")
    return fee is not None and c.theirs is not None and litellm_agrees(
        c.ours - per_million(fee, "fee", per_token=False).price * c.tokens.requests, c.theirs)


def _rounded_litellm(c: Comparison, entry: dict[str, Any]) -> bool:
    stated = [entry.get(key) for key in _LITELLM_PRICES if isinstance(entry.get(key), float)]
    return any(per_million(value, "price", per_token=True).rounded_from is not None for value in stated) \
        and _within_rounding(c)


def _agrees(c: Comparison, expected: Decimal) -> bool:
    assert c.theirs is not None
    return litellm_agrees(expected, c.theirs) if c.source == "litellm" else expected == c.theirs


def _within_rounding(c: Comparison) -> bool:
    assert c.theirs is not None
    # The rounding's reach, plus LiteLLM's float arithmetic (cross_check.litellm_agrees); genai-prices is exact.
    floats = abs(c.ours) * Decimal("1e-12") if c.source == "litellm" else 0
    return abs(c.ours - c.theirs) <= (c.tokens.input + c.tokens.output) * _ROUNDING + floats


def litellm_rules(litellm_map: dict[str, Any]) -> list[Rule]:
    return [
        Rule("litellm: a table entry is free without prompt tokens", _table_free_without_prompt),
        Rule("litellm: perplexity ignores tiers", _perplexity_ignores_tiers),
        Rule("litellm: Fireworks cache share", _fireworks_cache_share),
        Rule("litellm: tier without cache price", _tier_without_cache_price),
        Rule("litellm: off-peak weekdays in another zone", _off_peak_on_another_calendar),
        Rule("litellm: another entry for the key",
             lambda c, entry: _another_entry_for_the_key(c, entry, litellm_map)),
        Rule("litellm: rounded to 12 places", _rounded_litellm),
        Rule("litellm: no fee per request", _request_fee_not_charged),
    ]


# --- genai-prices ----------------------------------------------------------------------------------------------

def _prices_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    prices = entry.get("prices")
    return [{"prices": prices}] if isinstance(prices, dict) else list(prices or [])


def _not_found(c: Comparison, entry: dict[str, Any]) -> bool:
    # calc_price looks a model up by its `match` rules, which for these entries do not match their own id; priced
    # by the entry itself, genai-prices agrees with ours.
    return c.priced_as == BY_ITS_ENTRY and c.ours == c.theirs


def _time_of_day(c: Comparison, entry: dict[str, Any]) -> bool:
    # Prices for hours of the day replace the price for those hours; the import names them as not held yet, and
    # keeps the price for the other hours as the price.
    clock = INSTANTS[c.instant].timetz()
    for variant in _prices_of(entry):
        constraint = variant.get("constraint") or {}
        if "start_time" not in constraint:
            continue
        start, end = time.fromisoformat(constraint["start_time"]), time.fromisoformat(constraint["end_time"])
        prices = variant["prices"]
        if start <= clock < end and c.theirs == cost(c.tokens, prices["input_mtok"], prices["output_mtok"],
                                                     prices.get("cache_read_mtok")):
            return True
    return False


def _rounded_genai(c: Comparison, entry: dict[str, Any]) -> bool:
    stated = [value for variant in _prices_of(entry) for value in variant["prices"].values()
              if isinstance(value, Decimal)]
    return any(-int(value.normalize().as_tuple().exponent) > 12 for value in stated) and _within_rounding(c)


GENAI_RULES = [
    Rule("genai-prices: its own id is not found", _not_found),
    Rule("genai-prices: prices by time of day", _time_of_day),
    Rule("genai-prices: rounded to 12 places", _rounded_genai),
]


def classify(found: list[Comparison], rules: list[Rule], entries: dict[str, Any]) -> dict[str, list[Comparison]]:
    """Each difference under the first rule that explains it; the rest under "unclassified"."""
    categories: dict[str, list[Comparison]] = {}
    for comparison in found:
        entry = entries[comparison.model.source_key]
        category = next((rule.category for rule in rules if rule.explains(comparison, entry)), "unclassified")
        categories.setdefault(category, []).append(comparison)
    return categories
