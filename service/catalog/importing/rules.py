"""LiteLLM's keys for pricing rules, read into ours: context tiers, batch, flex and priority rates, off-peak hours.

LiteLLM states a rule's prices one by one, while our rules hold a tier's own prices or one multiplier on every
rate. A LiteLLM rule comes in only where every price it states is what our rule charges; otherwise it is left out
and a line in `skipped` says why, so an import never guesses a price. What a key does not state:
- a tier's missing cache price stays unknown (never the base rate, which could undercharge a long prompt);
- a variant's missing cache price follows its multiplier: LiteLLM has no batch key for cache prices at all, and
  our own LiteLLM export (service/feeds/litellm.py) writes variants the same way;
- the off-peak block's missing price is the standard rate, as LiteLLM reads it (and as that export writes it).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from service.catalog.importing.litellm_keys import CACHE_READ, CACHE_WRITE, INPUT, OUTPUT, PRICE_KEYS, VARIANT_SUFFIXES
from service.pricing.money import MONEY_CONTEXT, MoneyError, parse_decimal, round_price
from service.pricing.prices import TokenPrices
from service.pricing.rules import MAX_MULTIPLIER, VARIANT_KINDS, ContextTier, PriceRules, TimeWindow, Variant
from service.pricing.windows import MINUTES_PER_DAY, DailyWindow, WindowError, parse_clock

_LABELS = dict(zip(PRICE_KEYS, ("input", "output", "cache read", "cache write"), strict=True))
# `input_cost_per_token_above_200k_tokens`; with a variant's suffix, that variant's price above the threshold.
_TIER_KEY = re.compile(
    rf"({'|'.join(PRICE_KEYS)})_above_([0-9]{{1,12}})(k?)_tokens({'|'.join(VARIANT_SUFFIXES.values())})?")
# The limits a price period's rules have through the API (schemas.PriceRulesIn), so an update can take them too.
_MAX_THRESHOLD = 1_000_000_000
_MAX_WINDOWS = 20
_MULTIPLIER_DIGITS = 6
_EVERY_DAY = frozenset(range(7))

TieredKeys = dict[int, dict[str, Decimal]]  # threshold -> LiteLLM key -> price per million


class LeftOut(ValueError):
    """A rule that cannot be imported exactly; the message says why."""


def mtok(value: Any, field_name: str, per_token: bool) -> Decimal | None:
    """A price per million tokens from a number read exactly (never through a float); None stays unknown."""
    if value is None:
        return None
    whole = isinstance(value, int) and not isinstance(value, bool)  # JSON's true is no price
    number = value if isinstance(value, Decimal) else Decimal(value) if whole else None
    if number is None:
        raise MoneyError(f"{field_name} is not a number: {value!r}")
    if per_token:  # dollars per token, as a float in the source: per million, rounded to 12 fractional digits
        number = round_price(number.scaleb(6, MONEY_CONTEXT))
    return parse_decimal(number.normalize(MONEY_CONTEXT), field=field_name)


def _by_key(prices: TokenPrices) -> dict[str, Decimal | None]:
    values = (prices.input_per_mtok, prices.output_per_mtok, prices.cache_read_per_mtok, prices.cache_write_per_mtok)
    return dict(zip(PRICE_KEYS, values, strict=True))


def litellm_rules(name: str, entry: dict[str, Any], base: TokenPrices, skipped: list[str]) -> PriceRules:
    """The rules `entry` states exactly; each one it cannot state exactly gets a line in `skipped`."""
    tiered = _tiered_keys(entry)
    tiers = _tiers(name, tiered.get("", {}), skipped)
    variants = []
    for kind in VARIANT_KINDS:
        try:
            variant = _variant(kind, entry, base, tiers, tiered.get(VARIANT_SUFFIXES[kind], {}))
        except LeftOut as exc:
            skipped.append(f"{name}: {kind} {exc}; {kind} rate left out")
            continue
        if variant is not None:
            variants.append(variant)
    try:
        windows = _off_peak(entry.get("off_peak_pricing"), base, bool(tiers or variants))
    except LeftOut as exc:
        skipped.append(f"{name}: off-peak {exc}; off-peak rate left out")
        windows = ()
    return PriceRules(tiers, windows, tuple(variants))


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


def _tiers(name: str, tiered: TieredKeys, skipped: list[str]) -> tuple[ContextTier, ...]:
    tiers = []
    for threshold, values in sorted(tiered.items()):
        if not 1 <= threshold <= _MAX_THRESHOLD:
            skipped.append(f"{name}: a tier above {threshold} prompt tokens is out of range; tier left out")
        elif values.get(INPUT) is None or values.get(OUTPUT) is None:
            skipped.append(f"{name}: the tier above {threshold} prompt tokens has no input and output price; "
                           "tier left out")
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
    multiplier = _one_multiple(base, stated)
    _check_tiered(tiers, tiered, multiplier)
    return Variant(kind, multiplier)


def _one_multiple(base: TokenPrices, stated: dict[str, Decimal | None]) -> Decimal:
    """The one multiplier that turns `base` into every price `stated`, or LeftOut saying why there is none."""
    if stated[INPUT] is None or stated[OUTPUT] is None:
        raise LeftOut("prices have no input and output price")
    ratios: dict[str, Decimal] = {}
    for key, standard in _by_key(base).items():
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
    by_threshold = {tier.above_prompt_tokens: _by_key(tier.prices) for tier in tiers}
    for threshold, values in sorted(tiered.items()):
        standard = by_threshold.get(threshold)
        if standard is None:
            raise LeftOut(f"prices above {threshold} prompt tokens have no standard tier to multiply")
        for key, price in values.items():
            tier_price = standard[key]
            if tier_price is not None and price != MONEY_CONTEXT.multiply(tier_price, multiplier):
                raise LeftOut(f"{_LABELS[key]} price above {threshold} prompt tokens is not {multiplier} times "
                              "the tier's")


def _off_peak(block: Any, base: TokenPrices, with_other_rules: bool) -> tuple[TimeWindow, ...]:
    """LiteLLM's `off_peak_pricing`: hours in UTC on every day, at prices that must be one multiple of the base."""
    if block is None or block == {}:
        return ()
    if not isinstance(block, dict):
        raise LeftOut(f"pricing is not an object: {block!r}")
    if "windows" in block or "weekday_timezone" in block:
        raise LeftOut("hours by weekday are not imported")
    if with_other_rules:
        # LiteLLM charges its off-peak prices for long prompts and flex or priority requests alike (it has no
        # off-peak tier or variant prices), where our window multiplies those requests' own rates.
        raise LeftOut("prices replace the tier and variant rates in LiteLLM, where our window would multiply them")
    standard = _by_key(base)
    stated = {key: mtok(block.get(key), f"off_peak_pricing.{key}", per_token=True) for key in PRICE_KEYS}
    multiplier = _one_multiple(base, {key: standard[key] if price is None else price for key, price in stated.items()})
    hours = block.get("hours_utc")
    ranges = [hours] if isinstance(hours, str) else hours
    if not isinstance(ranges, list) or not 1 <= len(ranges) <= _MAX_WINDOWS or not all(
            isinstance(text, str) for text in ranges):
        raise LeftOut(f"hours_utc is not one to {_MAX_WINDOWS} HH:MM-HH:MM ranges: {hours!r}")
    windows = tuple(TimeWindow("off-peak", _utc_daily(text), multiplier) for text in dict.fromkeys(ranges))
    return () if multiplier == 1 else windows


def _utc_daily(text: str) -> DailyWindow:
    # LiteLLM's hours open at the start (inclusive) and close at the end (exclusive), every day in UTC; an end at
    # or before the start runs past midnight, and an end equal to the start is the whole day.
    start_text, _, end_text = text.partition("-")
    try:
        start, end = parse_clock(start_text, "start"), parse_clock(end_text, "end", allow_24=True)
    except WindowError:
        raise LeftOut(f"hours {text!r} are not HH:MM-HH:MM") from None
    if start == end:
        start, end = 0, MINUTES_PER_DAY
    elif end == 0:  # "18:00-00:00" closes at midnight: 18:00-24:00, the same hours without crossing a day
        end = MINUTES_PER_DAY
    return DailyWindow("UTC", _EVERY_DAY, start, end)
