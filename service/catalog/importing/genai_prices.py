"""Reading genai-prices' data.json (a list of providers, each with its models) into offerings.

Each model of a provider is one offering (providers.py, offering_ids.py). Held: input, output, cache read and
cache write prices per million tokens, their tiers as context tiers (a kind's price above a tier's `start` input
tokens, strictly above, as genai-prices' `tokens > start`), and prices the file schedules from a later start date.
Numbers follow amounts.py's one rule. Named in the books, each with its reason: every other price (one-hour cache
writes, audio, image, searches, requests, ...), price variants and prices by time of day our rules cannot say
(genai_variants.py, genai_windows.py), and prices that ended before the import (history before the import is not
replayed here). Batch, flex and priority variants, and prices by time of day, that are one multiple of the price in
force are held as our variants and windows.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from service.catalog.importing.accounting import Books, Entry
from service.catalog.importing.entries import (
    NO_MORE,
    ImportedModel,
    ImportedPrice,
    Parsed,
    parsed_of,
    token_prices,
    window_of,
)
from service.catalog.importing.genai_variants import with_variants
from service.catalog.importing.genai_windows import Timed, with_windows
from service.catalog.importing.offering_ids import model_slug
from service.catalog.importing.providers import genai_seller, offering_id
from service.catalog.importing.rules import mtok
from service.pricing.money import MoneyError
from service.pricing.prices import TokenPrices
from service.pricing.rules import ContextTier, PriceRules, RuleError

_DECODER = msgspec.json.Decoder(list[dict[str, Any]])
KINDS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")  # in TokenPrices' order
# The prices beyond those four that estimates charge, in service.pricing.prices.MORE_PRICES' order. genai-prices
# counts audio and image tokens inside the input and output tokens, and one-hour writes inside the cache writes,
# as our usage does; `requests_kcount` is USD per thousand requests.
REQUESTS = "requests_kcount"
MORE_KINDS = (REQUESTS, "input_audio_mtok", "output_audio_mtok", "input_image_mtok", "output_image_mtok",
              "cache_write_1h_mtok")
_TIERED_MORE = "genai-prices charges another price above a context tier, which our tiers do not hold"
_BESIDE_RULES = ("a price beside batch, flex, priority or time-of-day prices: genai-prices states it apart for "
                 "each, where our rules would multiply it")
_MAX_TIER_START = 1_000_000_000  # the API's limit on above_prompt_tokens (schemas.PromptTokens)
PAST = "a price that ended before the import: history before the import is not replayed"
_LEFT_OUT = [(re.compile(pattern), reason) for pattern, reason in (
    (r"_1h_", "one-hour cache writes of a variant or by time of day are not held"),
    (r"_5m_", "five-minute cache writes priced apart are not held yet"),
    (r"audio", "audio prices other than per input and output token (cached audio, per hour), and a variant's or by "
               "time of day, are not held"),
    (r"image", "image prices other than per input and output token (cached images), and a variant's or by time of "
               "day, are not held"),
    (r"video", "video prices are not held yet"),
    (r"searches", "search fees are not held yet"),
    (r"requests", "per-request fees of a variant or by time of day are not held"),
    (r"messages_kcount", "fees per message are not held"),
    (r"kpages", "prices per page are not held"),
    (r"mchars", "prices per character are not held"),
    (r"reasoning", "a separate price for reasoning tokens is not held"),
    (r"citation", "citation token prices are not held"),
    (r"^input_text_|^output_text_|^cache_text_", "text-only token prices beside the token prices are not held"),
)]


def reason_for(component: str) -> str | None:
    key = component.rpartition(".")[2]
    return next((reason for pattern, reason in _LEFT_OUT if pattern.search(key)), None)


def parse_genai_prices(raw: bytes, now: datetime | None = None) -> Parsed:
    """The price in force now (from the import on), and any that the file schedules for later."""
    now = now or datetime.now(UTC)
    books = Books()
    candidates = []
    for provider in _DECODER.decode(raw):
        seller = genai_seller(str(provider.get("id")))
        for model in provider.get("models") or []:
            key = f"{provider.get('id')}/{model.get('id')}"
            account = Entry(books, key, _components(model))
            try:
                prices = _prices(model, account, now)
                slug = model_slug(str(model["id"]), seller)
            except (MoneyError, RuleError, KeyError, TypeError, ValueError) as exc:
                account.skipped(str(exc))
                continue
            imported = ImportedModel(
                id=offering_id(seller, slug), provider=seller.id, name=model.get("name") or model["id"],
                context_window=window_of(model.get("context_window")), prices=prices, source_key=key)
            candidates.append((imported.id, key, (imported, account)))
    return parsed_of(candidates, books, reason_for, "genai-prices")


def _variants(model: dict[str, Any]) -> list[dict[str, Any]]:
    prices = model.get("prices")
    return [{"prices": prices}] if isinstance(prices, dict) else list(prices or [])


def _components(model: dict[str, Any]) -> list[str]:
    names = []
    listed = isinstance(model.get("prices"), list)
    for index, variant in enumerate(_variants(model)):
        prefix = f"prices[{index}]" if listed else "prices"
        names += [f"{prefix}.{kind}" for kind, value in (variant.get("prices") or {}).items() if value is not None]
    for index, variant in enumerate(model.get("price_variants") or []):
        names += [f"price_variants[{index}].{kind}" for kind, value in (variant.get("prices") or {}).items()
                  if value is not None]
    return names


def _prices(model: dict[str, Any], account: Entry, now: datetime) -> list[ImportedPrice]:
    listed = isinstance(model.get("prices"), list)
    dated: list[tuple[int, str, dict[str, Any], ImportedPrice]] = []
    timed: list[Timed] = []
    for index, variant in enumerate(_variants(model)):
        prefix = f"prices[{index}]" if listed else "prices"
        constraint = variant.get("constraint")
        if constraint is not None and set(constraint) != {"start_date"}:
            timed.append(Timed(index, prefix, variant["prices"], constraint))
            continue
        start = None if constraint is None else datetime.fromisoformat(constraint["start_date"]).replace(tzinfo=UTC)
        dated.append((index, prefix, variant["prices"], _price(variant["prices"], start)))
    kept = _from_now_on([price for _, _, _, price in dated], now)
    # The price sets kept, by their place in the file (the prices themselves are replaced below, by their rules).
    kept_sets = [(prefix, prices) for _, prefix, prices, price in dated if any(price is other for other in kept)]
    for _, prefix, prices, price in dated:
        for kind in prices:
            if kind in KINDS and any(price is other for other in kept):
                account.hold(f"{prefix}.{kind}")
            elif kind in KINDS:
                account.name(f"{prefix}.{kind}", PAST)
    if not kept:
        raise MoneyError("no input and output price per million tokens in force now or later")
    first = kept[0]
    in_force = next(index for index, _, _, price in dated if price is first)
    if first.valid_from is not None and first.valid_from <= now:  # in force now: from the moment of the import
        kept[0] = replace(first, valid_from=None)
    kept = with_variants(model, kept, now, account, _price)
    kept = with_windows(timed, in_force, kept, account, _price)
    return _hold_more(kept_sets, kept, account)


def _hold_more(kept_sets: list[tuple[str, dict[str, Any]]], kept: list[ImportedPrice],
               account: Entry) -> list[ImportedPrice]:
    """Hold each kept price's fee per request, audio, image and one-hour write prices, or name them: tiered ones, and
    all of them beside variants or windows (whose own price sets genai-prices charges instead)."""
    ruled = any(price.rules.variants or price.rules.windows for price in kept)
    result = [replace(price, more=NO_MORE) if ruled else price for price in kept]
    for prefix, prices in kept_sets:
        for kind in MORE_KINDS:
            if prices.get(kind) is None:
                continue
            if isinstance(prices[kind], dict):
                account.name(f"{prefix}.{kind}", _TIERED_MORE)
            elif ruled:
                account.name(f"{prefix}.{kind}", _BESIDE_RULES)
            else:
                account.hold(f"{prefix}.{kind}")
    return result


def _price(prices: dict[str, Any], valid_from: datetime | None) -> ImportedPrice:
    base = _at(prices, start=None)
    # genai-prices charges a whole request at a kind's tier price once its input tokens (cache reads and writes
    # included) are above the tier's `start`, and at `base` up to it: our tier above `start` prompt tokens.
    starts = sorted({tier["start"] for name in KINDS for tier in _tiers(prices.get(name))})
    for start in starts:
        if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= _MAX_TIER_START:
            raise MoneyError(f"a tier starts at {start!r} tokens, not a whole number from 1 to {_MAX_TIER_START}")
    tiers = tuple(ContextTier(start, _at(prices, start)) for start in starts)
    return replace(ImportedPrice.of(valid_from, base, PriceRules(tiers=tiers)), more=_more(prices))


def _more(prices: dict[str, Any]) -> tuple[Decimal | None, ...]:
    """The untiered prices beyond the four token prices (a tiered one stays unknown, and is named)."""
    more = []
    for kind in MORE_KINDS:
        value = prices.get(kind)
        price = None if value is None or isinstance(value, dict) else mtok(value, kind, per_token=False)
        # per thousand requests: a thousandth is per request, exactly (the point moves three places)
        more.append(price.scaleb(-3) if price is not None and kind == REQUESTS else price)
    return tuple(more)


def _at(prices: dict[str, Any], start: int | None) -> TokenPrices:
    """The prices of every kind for prompts just above `start` tokens (None: the base rates).

    A kind's price there is its tier with the highest start at or below `start`, else its base; a kind without
    tiers is one price at every prompt size, cache prices included: genai-prices charges it that way.
    """
    values = []
    for name in KINDS:
        value = prices.get(name)
        if isinstance(value, dict):
            reached = [tier for tier in _tiers(value) if start is not None and tier["start"] <= start]
            value = max(reached, key=lambda tier: tier["start"])["price"] if reached else value.get("base")
        values.append(mtok(value, name, per_token=False))
    return token_prices(values)


def _tiers(value: Any) -> list[dict[str, Any]]:
    return value["tiers"] if isinstance(value, dict) else []


def _start(price: ImportedPrice) -> datetime:
    return price.valid_from or datetime.min.replace(tzinfo=UTC)  # None: from the moment of the import


def _from_now_on(dated: list[ImportedPrice], now: datetime) -> list[ImportedPrice]:
    """The price in force now, first, then those scheduled later; the history before now is not replayed."""
    started = [p for p in dated if p.valid_from is None or p.valid_from <= now]
    later = sorted((p for p in dated if p.valid_from is not None and p.valid_from > now), key=_start)
    current = max(started, key=_start, default=None)
    return ([] if current is None else [current]) + later
