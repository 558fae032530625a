"""The prices in the shape of LiteLLM's model_prices_and_context_window.json, so LiteLLM can load them as they are.

LiteLLM prices per token, not per million, and reads JSON numbers: each number is written exactly (a decimal in
JSON number syntax), never through a float. Keys are model ids, under `prefix/` when one is asked for, which keeps
them apart from LiteLLM's own bundled entries (its register_model() merges into an existing key).

Pricing rules go out as far as LiteLLM's keys can say them, every number priced by `charge` like an estimate, with
the promotions active at the instant: context tiers at whole thousands of tokens (`..._above_200k_tokens`), the
batch, flex and priority variants (`..._batches`, `..._flex`, `..._priority`, and flex or priority above a tier),
and one off-peak rate (`off_peak_pricing`) for windows in UTC that open every day. LiteLLM cannot express the rest,
so it is left out of the export: windows on some weekdays only, in a timezone other than UTC, with excluded dates
or with a multiplier above 1 (peak surcharges); tiers at thresholds that are not a whole number of thousands; and
any off-peak rate after the first one. LiteLLM's off-peak rates are a standard request's: it has none for a long
prompt or a variant inside the window. Estimates and the price feed (`/v1/feeds/prices`, whose `rules` carries
everything) price all of them.

The fee per request, audio and image prices and one-hour cache writes go out under LiteLLM's own keys
(`input_cost_per_request`, `input_cost_per_audio_token`, ..., `cache_creation_input_token_cost_above_1hr`), and
LiteLLM charges them above a context tier at those prices, as ours does; for a variant, under its suffix where
LiteLLM reads one (not for output audio). LiteLLM's cost_per_token charges no fee per request, and its off-peak
rates leave these prices alone, where our windows multiply them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from service.catalog.importing.litellm_keys import (
    CACHE_READ,
    CACHE_WRITE,
    INPUT,
    MORE_KEYS,
    OUTPUT,
    PER_REQUEST,
    PRICE_KEYS,
    VARIANT_SUFFIXES,
)
from service.catalog.importing.providers import litellm_provider
from service.pricing.money import MONEY_CONTEXT
from service.pricing.prices import MORE_PRICES, TokenPrices
from service.pricing.rules import ContextTier, TimeWindow, charge
from service.pricing.timeline import EffectivePrice
from service.pricing.windows import MINUTES_PER_DAY, format_clock
from service.snapshot.catalog_snapshot import CatalogSnapshot, ModelInfo

_ENCODER = msgspec.json.Encoder(decimal_format="number")

_ATTRIBUTE = {INPUT: "input_per_mtok", OUTPUT: "output_per_mtok", CACHE_READ: "cache_read_per_mtok",
              CACHE_WRITE: "cache_write_per_mtok", **dict(zip(MORE_KEYS, MORE_PRICES, strict=True))}
# The keys beyond the four that LiteLLM reads with a variant's suffix (it reads output audio and the fee without).
_MORE_VARIANT_KEYS = tuple(key for key in MORE_KEYS if key not in (PER_REQUEST, "output_cost_per_audio_token"))
_EVERY_PRICE = PRICE_KEYS
# LiteLLM's key suffix for each variant, and the prices it has a key for under that suffix.
_VARIANT_KEYS = {
    "batch": (VARIANT_SUFFIXES["batch"], (INPUT, OUTPUT)),
    "flex": (VARIANT_SUFFIXES["flex"], (INPUT, OUTPUT, CACHE_READ)),
    "priority": (VARIANT_SUFFIXES["priority"], (INPUT, OUTPUT, CACHE_READ)),
}
# LiteLLM has no batch rate above a context threshold, only service tiers.
_TIERED_VARIANTS = ("flex", "priority")
# LiteLLM routes these makers' models by their bare names (its lists of OpenAI and Anthropic models); every other
# provider's only by `provider/model`, so a bare key of theirs would not be priced (tests/feeds/).
_BARE_IN_LITELLM = frozenset({"openai", "anthropic"})
_UTC_ZONES = frozenset({"UTC", "Etc/UTC"})
_EVERY_DAY = frozenset(range(7))


def _per_token(price_per_mtok: Decimal) -> Decimal:
    return price_per_mtok.scaleb(-6, MONEY_CONTEXT).normalize(MONEY_CONTEXT)


def litellm_map(snapshot: CatalogSnapshot, at: datetime, prefix: str | None) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for model_id, timeline in sorted(snapshot.timelines.items()):
        price = timeline.price_at(at)
        if price is not None:
            key, provider = litellm_key(snapshot, model_id, at)
            result[f"{prefix}/{key}" if prefix else key] = _entry(snapshot.models[model_id], provider, price)
    return result


def litellm_key(snapshot: CatalogSnapshot, model_id: str, at: datetime) -> tuple[str, str]:
    """The key and `litellm_provider` LiteLLM knows an offering by, so it prices the key as its own map would.

    The offering's LiteLLM key when an import recorded one as an alias (source `litellm…`); else, for another
    provider's offering or a maker LiteLLM addresses by prefix, LiteLLM's provider prefix before the model
    (`together_ai/x` for `together/x`, `deepseek/deepseek-v4-flash`); else the bare id (`gpt-4o`). The provider
    is LiteLLM's spelling of ours (service/catalog/importing/providers.py).
    """
    provider = litellm_provider(snapshot.models[model_id].provider)
    known = snapshot.names_of(model_id, at, "litellm")
    if known:
        return known[0], provider
    seller, _, model = model_id.rpartition("/")
    return (model_id if not seller and provider in _BARE_IN_LITELLM else f"{provider}/{model}"), provider


def encode(mapping: dict[str, dict[str, Any]]) -> bytes:
    return _ENCODER.encode(mapping)


def _entry(model: ModelInfo, provider: str, price: EffectivePrice) -> dict[str, Any]:
    entry: dict[str, Any] = {"litellm_provider": provider, "mode": "chat"}
    # The base keys are the standard rate: no tier, no variant, no window open.
    entry |= _costs(_rates(price), _EVERY_PRICE)
    if price.period.prices.has_more:
        entry |= _costs(_rates(price), MORE_KEYS)
    entry |= _variant_costs(price)
    for tier in price.period.rules.tiers:
        entry |= _tier_costs(price, tier)
    if (off_peak := _off_peak(price)) is not None:
        entry["off_peak_pricing"] = off_peak
    if model.context_window is not None:
        entry["max_input_tokens"] = model.context_window
    return entry


def _rates(
    price: EffectivePrice, prompt_tokens: int = 0, variant: str | None = None, window: TimeWindow | None = None,
) -> TokenPrices:
    # Through `charge`, as estimates price, so promotions and multipliers compose exactly as they do there.
    percents = tuple(discount.percent_off for discount in price.discounts)
    return charge(price.period.prices, price.period.rules, percents, prompt_tokens, variant, window).rates


def _costs(rates: TokenPrices, keys: Iterable[str], suffix: str = "") -> dict[str, Decimal]:
    """Per-token costs under LiteLLM's `keys` plus `suffix`; an unknown (None) price gets no key."""
    costs = {}
    for key in keys:
        price = getattr(rates, _ATTRIBUTE[key])
        if price is not None:  # a fee per request is in USD per request, not per million tokens
            costs[f"{key}{suffix}"] = price.normalize(MONEY_CONTEXT) if key == PER_REQUEST else _per_token(price)
    return costs


def _variant_costs(price: EffectivePrice) -> dict[str, Decimal]:
    costs: dict[str, Decimal] = {}
    for variant in price.period.rules.variants:
        suffix, keys = _VARIANT_KEYS[variant.kind]
        more = _MORE_VARIANT_KEYS if price.period.prices.has_more else ()
        costs |= _costs(_rates(price, variant=variant.kind), (*keys, *more), suffix)
    return costs


def _tier_costs(price: EffectivePrice, tier: ContextTier) -> dict[str, Decimal]:
    # LiteLLM names thresholds in whole thousands ("above_200k"); any other threshold has no key.
    thousands, rest = divmod(tier.above_prompt_tokens, 1000)
    if rest:
        return {}
    above = f"_above_{thousands}k_tokens"
    prompt_tokens = tier.above_prompt_tokens + 1  # the smallest prompt this tier prices
    costs = _costs(_rates(price, prompt_tokens), _EVERY_PRICE, above)
    for variant in price.period.rules.variants:
        if variant.kind in _TIERED_VARIANTS:
            suffix, keys = _VARIANT_KEYS[variant.kind]
            costs |= _costs(_rates(price, prompt_tokens, variant.kind), keys, above + suffix)
    return costs


def _off_peak(price: EffectivePrice) -> dict[str, Any] | None:
    """LiteLLM's one off-peak rate: the first expressible window's, with every expressible window at that rate."""
    windows = [window for window in price.period.rules.windows if _expressible(window)]
    if not windows:
        return None
    first = windows[0]
    hours = list(dict.fromkeys(_hours_utc(w) for w in windows if w.multiplier == first.multiplier))
    block: dict[str, Any] = {"hours_utc": hours[0] if len(hours) == 1 else hours}
    # LiteLLM reads a missing off-peak key as the standard rate, so cache writes go in too when known.
    return block | _costs(_rates(price, window=first), _EVERY_PRICE)


def _expressible(window: TimeWindow) -> bool:
    # LiteLLM's off-peak hours are UTC, every day of the week, and only ever a discount.
    daily = window.window
    return (daily.timezone in _UTC_ZONES and daily.days == _EVERY_DAY and not daily.excluded_dates
            and window.multiplier < 1)


def _hours_utc(window: TimeWindow) -> str:
    # LiteLLM writes midnight as 00:00 at either end: 18:00-24:00 is "18:00-00:00", a whole day "00:00-00:00".
    daily = window.window
    return f"{format_clock(daily.start)}-{format_clock(daily.end % MINUTES_PER_DAY)}"
