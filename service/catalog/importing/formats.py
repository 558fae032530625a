"""Reading other catalogs: LiteLLM's model_prices_and_context_window.json and genai-prices' data.json.

Both are turned into the same plain entries: a model, its provider, and one or more dated prices per million
tokens with the pricing rules the file states: context tiers from both, and from LiteLLM also batch, flex and
priority rates and daily off-peak hours in UTC (service/catalog/import_rules.py says how exactly). What our rules
cannot hold is left out and counted, never guessed: genai-prices' time-of-day prices, audio and image prices, and
LiteLLM rules whose prices are not one multiple of the standard ones, or off-peak hours by weekday or together with
tiers or variants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from service.catalog.importing.litellm_keys import INPUT, OUTPUT, PRICE_KEYS
from service.catalog.importing.rules import litellm_rules, mtok
from service.pricing.money import MoneyError
from service.pricing.prices import TokenPrices
from service.pricing.rules import FLAT, ContextTier, PriceRules, RuleError
from service.pricing.windows import WindowError

# Numbers are read as exact decimals: 2.5e-06 dollars per token must become exactly 2.5 per million.
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")
_GENAI_KINDS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")  # in TokenPrices' order
# The API's limit on a tier's above_prompt_tokens (schemas.PromptTokens), so an update can take the tier too.
_MAX_TIER_START = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ImportedPrice:
    valid_from: datetime | None  # None: from the moment of the import
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    rules: PriceRules = FLAT

    @classmethod
    def of(cls, valid_from: datetime | None, prices: TokenPrices, rules: PriceRules) -> ImportedPrice:
        return cls(valid_from, prices.input_per_mtok, prices.output_per_mtok, prices.cache_read_per_mtok,
                   prices.cache_write_per_mtok, rules)

    def prices(self) -> TokenPrices:
        return TokenPrices(self.input_per_mtok, self.output_per_mtok, self.cache_read_per_mtok,
                           self.cache_write_per_mtok)


@dataclass(slots=True)
class ImportedModel:
    id: str
    provider: str
    name: str
    context_window: int | None
    prices: list[ImportedPrice]


@dataclass(slots=True)
class Parsed:
    models: list[ImportedModel] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """A catalog id from a foreign one: "openai/gpt-4o" becomes "openai-gpt-4o"."""
    return _NOT_SLUG.sub("-", text.lower()).strip("-._")[:100]


def parse_litellm(raw: bytes) -> Parsed:
    parsed = Parsed()
    for key, entry in _DECODER.decode(raw).items():
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        if entry.get(INPUT) is None or entry.get(OUTPUT) is None:
            parsed.skipped.append(f"{key}: no input and output price per token")
            continue
        try:
            price = _litellm_price(key, entry, parsed.skipped)
        except (MoneyError, RuleError, WindowError) as exc:
            parsed.skipped.append(f"{key}: {exc}")
            continue
        window = entry.get("max_input_tokens")
        parsed.models.append(ImportedModel(
            id=slug(key), provider=slug(str(entry.get("litellm_provider") or "unknown")), name=key,
            context_window=window if isinstance(window, int) and window > 0 else None, prices=[price]))
    return parsed


def _litellm_price(key: str, entry: dict[str, Any], skipped: list[str]) -> ImportedPrice:
    base = _token_prices([mtok(entry.get(name), name, per_token=True) for name in PRICE_KEYS])
    left_out: list[str] = []  # reported only when the entry is imported: a skipped entry gets its one line
    rules = litellm_rules(key, entry, base, left_out)
    skipped.extend(left_out)
    return ImportedPrice.of(None, base, rules)


def _genai_price(prices: dict[str, Any], valid_from: datetime | None) -> ImportedPrice:
    base = _genai_prices(prices, start=None)
    # genai-prices charges a whole request at a kind's tier price once its input tokens (cache reads and writes
    # included) are above the tier's `start`, and at `base` up to it: our tier above `start` prompt tokens.
    starts = sorted({tier["start"] for name in _GENAI_KINDS for tier in _genai_tiers(prices.get(name))})
    for start in starts:
        if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= _MAX_TIER_START:
            raise MoneyError(f"a tier starts at {start!r} tokens, not a whole number from 1 to {_MAX_TIER_START}")
    tiers = tuple(ContextTier(start, _genai_prices(prices, start)) for start in starts)
    return ImportedPrice.of(valid_from, base, PriceRules(tiers=tiers))


def _genai_prices(prices: dict[str, Any], start: int | None) -> TokenPrices:
    """The prices of every kind for prompts just above `start` tokens (None: the base rates).

    A kind's price there is its tier with the highest start at or below `start`, else its base; a kind without
    tiers is one price at every prompt size, cache prices included: genai-prices charges it that way.
    """
    values = []
    for name in _GENAI_KINDS:
        value = prices.get(name)
        if isinstance(value, dict):
            reached = [tier for tier in _genai_tiers(value) if start is not None and tier["start"] <= start]
            value = max(reached, key=lambda tier: tier["start"])["price"] if reached else value.get("base")
        values.append(mtok(value, name, per_token=False))
    return _token_prices(values)


def _token_prices(values: list[Decimal | None]) -> TokenPrices:
    """Input, output, cache read and cache write prices; cache prices may be unknown, the others may not."""
    input_per_mtok, output_per_mtok, cache_read, cache_write = values
    if input_per_mtok is None or output_per_mtok is None:
        raise MoneyError("no input and output price per million tokens")
    return TokenPrices(input_per_mtok, output_per_mtok, cache_read, cache_write)


def _genai_tiers(value: Any) -> list[dict[str, Any]]:
    return value["tiers"] if isinstance(value, dict) else []


def parse_genai_prices(raw: bytes, now: datetime | None = None) -> Parsed:
    """The price in force now (from the import on), and any that the file schedules for later.

    genai-prices lists a model's variants as a default and later ones "from start_date on"; the history
    before now is not replayed, since it would collide with the history already stored here.
    """
    now = now or datetime.now(UTC)
    parsed = Parsed()
    for provider in _DECODER.decode(raw):
        for model in provider.get("models", []):
            key = f"{provider['id']}/{model['id']}"
            variants = model.get("prices")
            if isinstance(variants, dict):
                variants = [{"prices": variants}]
            try:
                dated = [_genai_price(v["prices"], _start_date(v.get("constraint"))) for v in variants or []]
            except (MoneyError, RuleError, KeyError, TypeError) as exc:
                parsed.skipped.append(f"{key}: {exc}")
                continue
            prices = _from_now_on(dated, now)
            if not prices:
                parsed.skipped.append(f"{key}: no prices")
                continue
            window = model.get("context_window")
            parsed.models.append(ImportedModel(
                id=slug(model["id"]), provider=slug(provider["id"]), name=model.get("name") or model["id"],
                context_window=window if isinstance(window, int) and window > 0 else None,
                prices=prices))
    return parsed


def _start(price: ImportedPrice) -> datetime:
    return price.valid_from or datetime.min.replace(tzinfo=UTC)  # None: from the moment of the import


def _from_now_on(dated: list[ImportedPrice], now: datetime) -> list[ImportedPrice]:
    started = [p for p in dated if p.valid_from is None or p.valid_from <= now]
    later = sorted((p for p in dated if p.valid_from is not None and p.valid_from > now), key=_start)
    current = max(started, key=_start, default=None)
    head = [] if current is None else [replace(current, valid_from=None)]
    return head + later


def _start_date(constraint: Any) -> datetime | None:
    if constraint is None:
        return None
    if not isinstance(constraint, dict) or set(constraint) != {"start_date"}:
        # genai-prices' time-of-day prices replace every rate in their hours, whatever the tier: not imported.
        raise MoneyError(f"conditional prices ({', '.join(constraint)}) are not imported")
    return datetime.fromisoformat(constraint["start_date"]).replace(tzinfo=UTC)
