"""genai-prices' `price_variants` (prices for batch requests, or for a service tier), read into our variants.

A variant comes in as our batch, flex or priority rate where its prices are one multiple of the price in force
now, tier by tier, as our variant charges (rules.one_multiple); a `service_tier: default` variant is held where it
is the standard price itself. Each other variant is named with its reason: a condition we have no rate for (a
`fast` tier, a route), prices that are not one multiple, a variant that starts after the import, or one beside
prices the file changes later (our variant would carry over to a price it was not stated for).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from service.catalog.importing.accounting import Entry
from service.catalog.importing.entries import ImportedPrice
from service.catalog.importing.rules import LeftOut, by_key, one_multiple
from service.pricing.money import MoneyError
from service.pricing.rules import PriceRules, RuleError, Variant

_KINDS = {("processing", "batch"): "batch", ("service_tier", "flex"): "flex", ("service_tier", "priority"): "priority",
          ("service_tier", "default"): "standard"}
HELD_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")


class PriceReader(Protocol):
    def __call__(self, prices: dict[str, Any], valid_from: datetime | None) -> ImportedPrice: ...


def with_variants(model: dict[str, Any], kept: list[ImportedPrice], now: datetime, account: Entry,
                  read: PriceReader) -> list[ImportedPrice]:
    """`kept` with the variants of `model` that our rules hold on its current price; each other one named."""
    variants: list[Variant] = []
    listed = model.get("price_variants") or []
    latest = _latest_started(listed, now)
    for index, variant in enumerate(listed):
        names = [f"price_variants[{index}].{kind}" for kind, value in (variant.get("prices") or {}).items()
                 if value is not None]
        try:
            started = (_start(variant) or now) <= now
            if started and latest.get(_condition(variant), index) != index:
                raise LeftOut(f"{_condition(variant)} prices replaced by later ones before the import")
            held = _variant(variant, kept, now, read)
        except (LeftOut, MoneyError, RuleError, KeyError, TypeError, ValueError) as exc:
            for name in names:
                account.name(name, str(exc))
            continue
        if held is not None:
            variants.append(held)
        for name in names:
            if name.rpartition(".")[2] in HELD_KEYS:
                account.hold(name)
    if not variants:
        return kept
    current = kept[0]
    rules = PriceRules(current.rules.tiers, current.rules.windows, tuple(sorted(variants, key=_order)))
    return [replace(current, rules=rules), *kept[1:]]


def _order(variant: Variant) -> int:
    return ("batch", "flex", "priority").index(variant.kind)


def _condition(variant: dict[str, Any]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in (variant.get("when") or {}).items())


def _start(variant: dict[str, Any]) -> datetime | None:
    constraint = variant.get("constraint")
    if constraint is None or set(constraint) != {"start_date"}:
        return None
    return datetime.fromisoformat(constraint["start_date"]).replace(tzinfo=UTC)


def _latest_started(variants: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    """For each condition, the index of its variant in force at `now`: the one started last (undated: first)."""
    latest: dict[str, tuple[datetime, int]] = {}
    for index, variant in enumerate(variants):
        start = _start(variant) or datetime.min.replace(tzinfo=UTC)
        held = latest.get(_condition(variant))
        if start <= now and (held is None or start > held[0]):
            latest[_condition(variant)] = (start, index)
    return {condition: index for condition, (_, index) in latest.items()}


def _variant(variant: dict[str, Any], kept: list[ImportedPrice], now: datetime, read: PriceReader) -> Variant | None:
    when = variant.get("when") or {}
    condition = _condition(variant)
    kind = _KINDS.get(next(iter(when.items()))) if len(when) == 1 else None
    if kind is None:
        raise LeftOut(f"prices for requests with {condition} are not held yet")
    constraint = variant.get("constraint")
    if constraint is not None and set(constraint) != {"start_date"}:
        raise LeftOut(f"{condition} prices by time of day are not held yet")
    start = _start(variant)
    if start is not None and start > now:
        raise LeftOut(f"{condition} prices from {start.date()} on, after the import, are not held yet")
    if len(kept) != 1:
        raise LeftOut(f"{condition} prices beside prices that change later are not held yet")
    try:
        multiplier = multiple_of(kept[0], read(variant["prices"], None))
    except LeftOut as exc:
        raise LeftOut(f"{condition} {exc}") from None
    if kind == "standard":
        if multiplier != 1:
            raise LeftOut(f"{condition} prices are not the standard ones")
        return None
    return Variant(kind, multiplier)


def multiple_of(current: ImportedPrice, variant: ImportedPrice) -> Decimal:
    """The one multiplier of `current` that `variant` is, tier by tier, or LeftOut saying why there is none."""
    multiplier = one_multiple(current.prices(), by_key(variant.prices()))
    ours, theirs = current.rules.tiers, variant.rules.tiers
    if [tier.above_prompt_tokens for tier in ours] != [tier.above_prompt_tokens for tier in theirs]:
        raise LeftOut("prices have other context tiers than the standard ones")
    for tier, stated in zip(ours, theirs, strict=True):
        if one_multiple(tier.prices, by_key(stated.prices)) != multiplier:
            raise LeftOut(f"prices above {tier.above_prompt_tokens} prompt tokens are not {multiplier} times the "
                          "tier's")
    return multiplier
