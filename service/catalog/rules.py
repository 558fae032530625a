"""Pricing rules between their three forms: a request body, the jsonb document on the price row, the core's rules.

The document is also the response shape: money and multipliers as canonical decimal strings, days by name.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import msgspec

from service.catalog import schemas
from service.pricing import rules as core
from service.pricing.errors import InputError, InvalidAmount, InvalidValue
from service.pricing.money import format_decimal, parse_decimal
from service.pricing.prices import TokenPrices
from service.pricing.windows import DailyWindow, day_names, format_clock, parse_clock, parse_days

FLAT_DOCUMENT: dict[str, list] = {"context_tiers": [], "time_windows": [], "variants": []}
_MAX_MULTIPLIER_DIGITS = 6
_PRICE_LIMIT = Decimal(10**12)


def from_request(body: schemas.PriceRulesIn | None) -> core.PriceRules:
    """Validate a request's rules into the core's, or raise a 422 naming the field (rules.time_windows[0].end)."""
    if body is None:
        return core.FLAT
    tiers = tuple(_tier(n, tier) for n, tier in enumerate(body.context_tiers))
    windows = tuple(_window(n, window) for n, window in enumerate(body.time_windows))
    variants = tuple(
        core.Variant(v.kind, _multiplier(v.multiplier, "rules", "variants", n))
        for n, v in enumerate(body.variants)
    )
    try:
        return core.PriceRules(tiers, windows, variants)
    except core.RuleError as exc:
        raise exc.within("rules") from None


def _tier(number: int, tier: schemas.ContextTierIn) -> core.ContextTier:
    where = ("rules", "context_tiers", number)

    def money(value: Decimal | None, name: str) -> Decimal | None:
        if value is None:
            return None
        try:
            price = parse_decimal(value, field=name)
        except InputError as exc:
            raise exc.within(*where) from None
        if price >= _PRICE_LIMIT:  # what the prices table's numeric(24, 12) holds, so tiers hold it too
            raise InvalidAmount(f"{name} must be less than 10^12 per million tokens", *where, name)
        return price

    prices = TokenPrices(
        money(tier.input_per_mtok, "input_per_mtok") or Decimal(0),
        money(tier.output_per_mtok, "output_per_mtok") or Decimal(0),
        money(tier.cache_read_per_mtok, "cache_read_per_mtok"),
        money(tier.cache_write_per_mtok, "cache_write_per_mtok"),
    )
    return core.ContextTier(tier.above_prompt_tokens, prices)


def _window(number: int, window: schemas.TimeWindowIn) -> core.TimeWindow:
    where = ("rules", "time_windows", number)
    if len(set(window.days)) != len(window.days):
        raise InvalidValue("each day may appear once in `days`", *where, "days")
    try:
        daily = DailyWindow(
            window.timezone, parse_days(window.days), parse_clock(window.start, "start"),
            parse_clock(window.end, "end", allow_24=True), frozenset(window.excluded_dates),
        )
    except InputError as exc:
        raise exc.within(*where) from None
    return core.TimeWindow(window.name, daily, _multiplier(window.multiplier, *where))


def _multiplier(value: Decimal, *where: str | int) -> Decimal:
    try:
        number = parse_decimal(value, field="multiplier", max_fraction_digits=_MAX_MULTIPLIER_DIGITS,
                               max_value=core.MAX_MULTIPLIER)
    except InputError as exc:
        raise exc.within(*where) from None
    if number == 0:
        raise InvalidAmount("multiplier must be above 0: nothing is ever priced at zero by a rule",
                            *where, "multiplier")
    return number


def to_document(rules: core.PriceRules) -> dict[str, list]:
    """The jsonb stored on the price row, which is also the `rules` of every response."""
    if rules.is_flat:
        return FLAT_DOCUMENT
    return {
        "context_tiers": [{"above_prompt_tokens": tier.above_prompt_tokens, **_prices(tier.prices)}
                          for tier in rules.tiers],
        "time_windows": [_window_document(window) for window in rules.windows],
        "variants": [{"kind": v.kind, "multiplier": format_decimal(v.multiplier)} for v in rules.variants],
    }


def _prices(prices: TokenPrices) -> dict[str, str | None]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else format_decimal(value)

    return {"input_per_mtok": text(prices.input_per_mtok), "output_per_mtok": text(prices.output_per_mtok),
            "cache_read_per_mtok": text(prices.cache_read_per_mtok),
            "cache_write_per_mtok": text(prices.cache_write_per_mtok)}


def _window_document(window: core.TimeWindow) -> dict[str, Any]:
    daily = window.window
    return {
        "name": window.name, "timezone": daily.timezone, "days": day_names(daily.days),
        "start": format_clock(daily.start), "end": format_clock(daily.end),
        "excluded_dates": [day.isoformat() for day in sorted(daily.excluded_dates)],
        "multiplier": format_decimal(window.multiplier),
    }


def from_document(document: dict[str, Any]) -> core.PriceRules:
    """The core's rules from a stored document (already valid: the database checked its shape on insert)."""
    if not (document.get("context_tiers") or document.get("time_windows") or document.get("variants")):
        return core.FLAT
    return _parsed(msgspec.json.encode(document))


@lru_cache(maxsize=4096)  # snapshots are reloaded on every catalog change; most rows' rules have not changed
def _parsed(encoded: bytes) -> core.PriceRules:
    document = msgspec.json.decode(encoded)

    def money(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    tiers = tuple(
        core.ContextTier(tier["above_prompt_tokens"], TokenPrices(
            Decimal(tier["input_per_mtok"]), Decimal(tier["output_per_mtok"]),
            money(tier["cache_read_per_mtok"]), money(tier["cache_write_per_mtok"]),
        ))
        for tier in document["context_tiers"]
    )
    windows = tuple(
        core.TimeWindow(w["name"], DailyWindow(
            w["timezone"], parse_days(w["days"]), parse_clock(w["start"], "start"),
            parse_clock(w["end"], "end", allow_24=True), frozenset(date.fromisoformat(d) for d in w["excluded_dates"]),
        ), Decimal(w["multiplier"]))
        for w in document["time_windows"]
    )
    variants = tuple(core.Variant(v["kind"], Decimal(v["multiplier"])) for v in document["variants"])
    return core.PriceRules(tiers, windows, variants)


def render(rules: core.PriceRules) -> schemas.PriceRulesOut:
    """The response form (service.catalog.render caches it with the rest of an effective price)."""
    return msgspec.convert(to_document(rules), schemas.PriceRulesOut)
