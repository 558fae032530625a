"""The prices in the shape of LiteLLM's model_prices_and_context_window.json, so LiteLLM can load them as they are.

LiteLLM prices per token, not per million, and reads JSON numbers: each number is written exactly (a decimal in
JSON number syntax), never through a float. Keys are model ids, under `prefix/` when one is asked for, which keeps
them apart from LiteLLM's own bundled entries (its register_model() merges into an existing key).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from service.catalog.snapshot import CatalogSnapshot
from service.pricing.money import MONEY_CONTEXT

_ENCODER = msgspec.json.Encoder(decimal_format="number")


def _per_token(price_per_mtok: Decimal) -> Decimal:
    return price_per_mtok.scaleb(-6, MONEY_CONTEXT).normalize(MONEY_CONTEXT)


def litellm_map(snapshot: CatalogSnapshot, at: datetime, prefix: str | None) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for model_id, timeline in sorted(snapshot.timelines.items()):
        found = timeline.price_at(at)
        if found is None:
            continue
        prices = found.effective
        entry: dict[str, Any] = {
            "litellm_provider": snapshot.models[model_id].provider,
            "mode": "chat",
            "input_cost_per_token": _per_token(prices.input_per_mtok),
            "output_cost_per_token": _per_token(prices.output_per_mtok),
        }
        if prices.cache_read_per_mtok is not None:
            entry["cache_read_input_token_cost"] = _per_token(prices.cache_read_per_mtok)
        if prices.cache_write_per_mtok is not None:
            entry["cache_creation_input_token_cost"] = _per_token(prices.cache_write_per_mtok)
        if (window := snapshot.models[model_id].context_window) is not None:
            entry["max_input_tokens"] = window
        result[f"{prefix}/{model_id}" if prefix else model_id] = entry
    return result


def encode(mapping: dict[str, dict[str, Any]]) -> bytes:
    return _ENCODER.encode(mapping)
