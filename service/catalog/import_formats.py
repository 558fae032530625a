"""Reading other catalogs: LiteLLM's model_prices_and_context_window.json and genai-prices' data.json.

Both are turned into the same plain entries: a model, its provider, and one or more dated flat prices per
million tokens. What this catalog cannot hold yet (context tiers, audio or image prices) is left out and
counted, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from service.pricing.money import MONEY_CONTEXT, MoneyError, parse_decimal, round_price

# Numbers are read as exact decimals: 2.5e-06 dollars per token must become exactly 2.5 per million.
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")
_PRICE_FIELDS = ("input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok")


@dataclass(frozen=True, slots=True)
class ImportedPrice:
    valid_from: datetime | None  # None: from the moment of the import
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None

    def values(self) -> tuple[Decimal | None, ...]:
        return tuple(getattr(self, name) for name in _PRICE_FIELDS)


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


def _mtok(value: Any, field_name: str, per_token: bool) -> Decimal | None:
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(value) if isinstance(value, int) else None
    if number is None:
        raise MoneyError(f"{field_name} is not a number: {value!r}")
    if per_token:  # dollars per token, as a float in the source: per million, rounded to 12 fractional digits
        number = round_price(number.scaleb(6, MONEY_CONTEXT))
    return parse_decimal(number.normalize(MONEY_CONTEXT), field=field_name)


def parse_litellm(raw: bytes) -> Parsed:
    parsed = Parsed()
    for key, entry in _DECODER.decode(raw).items():
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        if entry.get("input_cost_per_token") is None or entry.get("output_cost_per_token") is None:
            parsed.skipped.append(f"{key}: no input and output price per token")
            continue
        try:
            price = ImportedPrice(
                valid_from=None,
                input_per_mtok=_mtok(entry["input_cost_per_token"], "input_cost_per_token", True),
                output_per_mtok=_mtok(entry["output_cost_per_token"], "output_cost_per_token", True),
                cache_read_per_mtok=_mtok(entry.get("cache_read_input_token_cost"), "cache_read", True),
                cache_write_per_mtok=_mtok(entry.get("cache_creation_input_token_cost"), "cache_write", True),
            )
        except MoneyError as exc:
            parsed.skipped.append(f"{key}: {exc}")
            continue
        window = entry.get("max_input_tokens")
        parsed.models.append(ImportedModel(
            id=slug(key), provider=slug(str(entry.get("litellm_provider") or "unknown")), name=key,
            context_window=window if isinstance(window, int) and window > 0 else None, prices=[price]))
    return parsed


def _genai_price(prices: dict[str, Any], valid_from: datetime | None) -> ImportedPrice:
    def flat(name: str) -> Decimal | None:
        value = prices.get(name)
        if isinstance(value, dict):  # context tiers: the base rate only; tiers need pricing rules (issue 8)
            value = value.get("base")
        return _mtok(value, name, per_token=False)

    input_price, output_price = flat("input_mtok"), flat("output_mtok")
    if input_price is None or output_price is None:
        raise MoneyError("no input and output price per million tokens")
    return ImportedPrice(valid_from, input_price, output_price, flat("cache_read_mtok"), flat("cache_write_mtok"))


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
            except (MoneyError, KeyError, TypeError) as exc:
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


def _from_now_on(dated: list[ImportedPrice], now: datetime) -> list[ImportedPrice]:
    started = [p for p in dated if p.valid_from is None or p.valid_from <= now]
    later = sorted((p for p in dated if p.valid_from is not None and p.valid_from > now), key=lambda p: p.valid_from)
    current = max(started, key=lambda p: p.valid_from or datetime.min.replace(tzinfo=UTC), default=None)
    head = [] if current is None else [ImportedPrice(None, *current.values())]
    return head + later


def _start_date(constraint: Any) -> datetime | None:
    if constraint is None:
        return None
    if not isinstance(constraint, dict) or set(constraint) != {"start_date"}:
        # Time-of-day windows and other conditions need pricing rules this catalog does not hold yet.
        raise MoneyError(f"conditional prices ({', '.join(constraint)}) are not imported")
    return datetime.fromisoformat(constraint["start_date"]).replace(tzinfo=UTC)
