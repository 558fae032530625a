"""LiteLLM's keys for pricing rules, read into ours: context tiers, and batch, flex and priority rates.

(Off-peak hours are read by off_peak.py, tiered_pricing tables by tiered_table.py.) LiteLLM states a rule's prices
one by one, while our rules hold a tier's own prices or one multiplier on every rate. A LiteLLM rule comes in only
where every price it states is what our rule charges; otherwise it is left out and `left_out` says why, by the
rule's group (`tier 200000`, `batch`, `flex`, `priority`), so an import never guesses a price and every key of the
rule is named in the report. What a key does not state:
- a tier's missing cache price stays unknown (never the base rate, which could undercharge a long prompt);
- a variant's missing cache price follows its multiplier: LiteLLM has no batch key for cache prices at all, and
  our own LiteLLM export (service/feeds/litellm.py) writes variants the same way.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from service.catalog.importing.amounts import per_million
from service.catalog.importing.litellm_keys import CACHE_READ, CACHE_WRITE, INPUT, OUTPUT, PRICE_KEYS, VARIANT_SUFFIXES
from service.pricing.money import MONEY_CONTEXT, MoneyError, parse_decimal
from service.pricing.prices import TokenPrices
from service.pricing.rules import MAX_MULTIPLIER, VARIANT_KINDS, ContextTier, PriceRules, Variant

_LABELS = dict(zip(PRICE_KEYS, ("input", "output", "cache read", "cache write"), strict=True))
# `input_cost_per_token_above_200k_tokens`; with a variant's suffix, that variant's price above the threshold.
_TIER_KEY = re.compile(
    rf"({'|'.join(PRICE_KEYS)})_above_([0-9]{{1,12}})(k?)_tokens({'|'.join(VARIANT_SUFFIXES.values())})?")
# The limits a price period's rules have through the API (schemas.PriceRulesIn), so an update can take them too.
_MAX_THRESHOLD = 1_000_000_000
_MULTIPLIER_DIGITS = 6

_KIND_OF_SUFFIX = {suffix: kind for kind, suffix in VARIANT_SUFFIXES.items()}
TieredKeys = dict[int, dict[str, Decimal]]  # threshold -> LiteLLM key -> price per million


class LeftOut(ValueError):
    """A rule that cannot be imported exactly; the message says why."""


def mtok(value: Any, field_name: str, per_token: bool) -> Decimal | None:
    """A price per million tokens by amounts.py's one rule; None stays unknown."""
    return None if value is None else per_million(value, field_name, per_token=per_token).price


def group_of(key: str) -> str | None:
    """The rule group a LiteLLM price key belongs to: `tier N`, a variant kind, or None for neither."""
    match = _TIER_KEY.fullmatch(key)
    if match is not None:
        _, number, thousands, suffix = match.groups()
        return _KIND_OF_SUFFIX[suffix] if suffix else f"tier {int(number) * (1000 if thousands else 1)}"
    for kind, suffix in VARIANT_SUFFIXES.items():
        if key.endswith(suffix) and key[:-len(suffix)] in PRICE_KEYS:
            return kind
    return None


def by_key(prices: TokenPrices) -> dict[str, Decimal | None]:
    values = (prices.input_per_mtok, prices.output_per_mtok, prices.cache_read_per_mtok, prices.cache_write_per_mtok)
    return dict(zip(PRICE_KEYS, values, strict=True))


# LiteLLM charges these providers' `_above_N_tokens` prices from N prompt tokens on, not above N (its cost code
# names xAI as the one provider that bills the bound itself): our tier is then above N - 1 tokens.
_TIERS_FROM_THEIR_BOUND = frozenset({"xai"})


def litellm_rules(
    entry: dict[str, Any], base: TokenPrices, left_out: dict[str, str],
    table: tuple[ContextTier, ...] | None = None,
) -> tuple[PriceRules, set[str]]:
    """The rules `entry` states exactly, and the groups they hold; `left_out` gets why each other group is out.

    `table`: the tiers of the entry's `tiered_pricing`, which LiteLLM charges instead of its `_above_` keys.
    """
    tiered = _tiered_keys(entry)
    tiers = _tiers(tiered.get("", {}), left_out) if table is None else table
    held = {f"tier {tier.above_prompt_tokens}" for tier in tiers}
    variants = []
    for kind in VARIANT_KINDS:
        try:
            variant = _variant(kind, entry, base, tiers, tiered.get(VARIANT_SUFFIXES[kind], {}))
        except LeftOut as exc:
            left_out[kind] = f"{kind} {exc}"
            continue
        if variant is not None:
            variants.append(variant)
            held.add(kind)
    if table is None and entry.get("litellm_provider") in _TIERS_FROM_THEIR_BOUND:
        tiers = tuple(ContextTier(tier.above_prompt_tokens - 1, tier.prices) for tier in tiers)
    return PriceRules(tiers, (), tuple(variants)), held


def _tiered_keys(entry: dict[str, Any]) -> dict[str, TieredKeys]:
    """The prices above a threshold, by variant suffix ("" for the standard rate)."""
    tiers: dict[str, TieredKeys] = {}
    for key, value in entry.items():
        match = _TIER_KEY.fullmatch(key)
        if match is None or value is None:
            continue
        price_key, number, thousands, suffix = match.groups()
        threshold = int(number) * (1000 if thousands else 1)
        price = mtok(value, key, per_token=True)
        assert price is not None  # value is not None, so neither is its price
        # "_above_128k_tokens" and "_above_128000_tokens" name one threshold; they must agree.
        if tiers.setdefault(suffix or "", {}).setdefault(threshold, {}).setdefault(price_key, price) != price:
            raise MoneyError(f"{key} contradicts another key for prompts above {threshold} tokens")
    return tiers


def _tiers(tiered: TieredKeys, left_out: dict[str, str]) -> tuple[ContextTier, ...]:
    tiers = []
    for threshold, values in sorted(tiered.items()):
        if not 1 <= threshold <= _MAX_THRESHOLD:
            left_out[f"tier {threshold}"] = f"a tier above {threshold} prompt tokens is out of range"
        elif values.get(INPUT) is None or values.get(OUTPUT) is None:
            left_out[f"tier {threshold}"] = f"the tier above {threshold} prompt tokens has no input and output price"
        else:
            prices = TokenPrices(values[INPUT], values[OUTPUT], values.get(CACHE_READ), values.get(CACHE_WRITE))
            tiers.append(ContextTier(threshold, prices))
    return tuple(tiers)


def _variant(
    kind: str, entry: dict[str, Any], base: TokenPrices, tiers: tuple[ContextTier, ...], tiered: TieredKeys,
) -> Variant | None:
    suffix = VARIANT_SUFFIXES[kind]
    stated = {key: mtok(entry.get(key + suffix), key + suffix, per_token=True) for key in PRICE_KEYS}
    if all(price is None for price in stated.values()) and not tiered:
        return None
    multiplier = one_multiple(base, stated)
    _check_tiered(tiers, tiered, multiplier)
    return Variant(kind, multiplier)


def one_multiple(base: TokenPrices, stated: dict[str, Decimal | None]) -> Decimal:
    """The one multiplier that turns `base` into every price `stated`, or LeftOut saying why there is none."""
    if stated[INPUT] is None or stated[OUTPUT] is None:
        raise LeftOut("prices have no input and output price")
    ratios: dict[str, Decimal] = {}
    for key, standard in by_key(base).items():
        price = stated[key]
        if price is None or standard is None:  # unknown at the standard rate: our rule keeps it unknown too
            continue
        if standard == 0:
            if price != 0:
                raise LeftOut(f"prices charge for {_LABELS[key]}, which the standard rate gives free")
            continue
        ratios[key] = MONEY_CONTEXT.divide(price, standard)  # exact whenever the ratio is a valid multiplier
    if len(set(ratios.values())) > 1:
        shown = ", ".join(f"{_shown(ratio)} on {_LABELS[key]}" for key, ratio in ratios.items())
        raise LeftOut(f"prices are not one multiple of the standard ones ({shown})")
    if not ratios:
        raise LeftOut("prices multiply a standard rate that is free")
    return _valid_multiplier(next(iter(ratios.values())))


def _valid_multiplier(ratio: Decimal) -> Decimal:
    try:
        multiplier = parse_decimal(ratio, field="multiplier", max_fraction_digits=_MULTIPLIER_DIGITS,
                                   max_value=MAX_MULTIPLIER)
    except MoneyError:
        multiplier = Decimal(0)
    if multiplier == 0:
        raise LeftOut(f"prices are {_shown(ratio)} times the standard ones, which is no multiplier "
                      f"(above 0, at most {MAX_MULTIPLIER}, at most {_MULTIPLIER_DIGITS} decimals)")
    return multiplier


def _shown(ratio: Decimal) -> str:
    return f"{ratio:.10g}"


def _check_tiered(tiers: tuple[ContextTier, ...], tiered: TieredKeys, multiplier: Decimal) -> None:
    """A variant's own prices above a threshold must be the tier's times its multiplier, as our rules charge."""
    by_threshold = {tier.above_prompt_tokens: by_key(tier.prices) for tier in tiers}
    for threshold, values in sorted(tiered.items()):
        standard = by_threshold.get(threshold)
        if standard is None:
            raise LeftOut(f"prices above {threshold} prompt tokens have no standard tier to multiply")
        for key, price in values.items():
            tier_price = standard[key]
            if tier_price is not None and price != MONEY_CONTEXT.multiply(tier_price, multiplier):
                raise LeftOut(f"{_LABELS[key]} price above {threshold} prompt tokens is not {multiplier} times "
                              "the tier's")
