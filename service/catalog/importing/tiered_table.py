"""LiteLLM's `tiered_pricing` tables, read into a base price and context tiers.

LiteLLM picks one tier by the request's prompt tokens, `start < tokens <= end` of its `range`, and charges every
token of the request at that tier (above the last range, the last tier). So the tier from 0 is the base price and
each later tier is our context tier above its start (`above_prompt_tokens` = start: strictly above, as LiteLLM's
`start <` is). A tier's missing output price is the entry's own, as LiteLLM reads it; a missing cache price stays
unknown, which both LiteLLM and our rules charge at the tier's input price. Rows that price queries rather than
tokens (`input_cost_per_query`) are not token tiers: their prices are named by litellm_components.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from service.catalog.importing.entries import token_prices
from service.catalog.importing.litellm_keys import INPUT, OUTPUT, PRICE_KEYS
from service.catalog.importing.rules import by_key, mtok
from service.pricing.money import MoneyError
from service.pricing.prices import TokenPrices
from service.pricing.rules import ContextTier

TABLE = "tiered_pricing"
_MAX_START = 1_000_000_000  # the API's limit on above_prompt_tokens (schemas.PromptTokens)


@dataclass(frozen=True, slots=True)
class Table:
    base: TokenPrices
    tiers: tuple[ContextTier, ...]
    output_fallback: bool  # a row has no output price: LiteLLM charges the entry's own there

    @property
    def by_key(self) -> dict[str, Decimal | None]:
        return by_key(self.base)


def read_table(entry: dict[str, Any], left_out: dict[str, str]) -> Table | None:
    """The entry's token tiers, or None: no table, or one we cannot hold (then `left_out` says why)."""
    rows = entry.get(TABLE)
    if not isinstance(rows, list):
        return None
    token_rows = [row for row in rows if isinstance(row, dict) and row.get(INPUT) is not None]
    if not token_rows:
        return None
    try:
        return _table(token_rows, entry.get(OUTPUT))
    except MoneyError as exc:
        left_out[TABLE] = f"tiered_pricing {exc}"
        return None


def _table(rows: list[dict[str, Any]], output: Any) -> Table:
    ranged = sorted((_range(row), row) for row in rows)
    if ranged[0][0][0] != 0:
        raise MoneyError(f"starts at {ranged[0][0][0]} tokens, not 0")
    for (previous, _), (current, _) in pairwise(ranged):
        if current[0] != previous[1]:
            raise MoneyError(f"has a gap or an overlap between {previous} and {current} tokens")
    prices = [_prices(row, output) for _, row in ranged]
    tiers = tuple(ContextTier(start, tier) for ((start, _), _), tier in zip(ranged[1:], prices[1:], strict=True))
    return Table(prices[0], tiers, any(row.get(OUTPUT) is None for _, row in ranged))


def _range(row: dict[str, Any]) -> tuple[int, int]:
    bounds = row.get("range")
    if not isinstance(bounds, list) or len(bounds) != 2 or not all(
            isinstance(bound, int | float) and not isinstance(bound, bool) and bound == int(bound) for bound in bounds):
        raise MoneyError(f"has a range that is not two whole numbers of tokens: {bounds!r}")
    start, end = int(bounds[0]), int(bounds[1])
    if not 0 <= start < end or start > _MAX_START:
        raise MoneyError(f"has a range from {start} to {end} tokens")
    return start, end


def _prices(row: dict[str, Any], output: Any) -> TokenPrices:
    values = [mtok(row.get(key), f"tiered_pricing.{key}", per_token=True) for key in PRICE_KEYS]
    if values[1] is None:  # LiteLLM charges the entry's own output price when a tier states none
        values[1] = mtok(output, OUTPUT, per_token=True)
    return token_prices(values)
