"""What a parsed file is: offerings with their dated prices and rules, and the books of what was left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from service.catalog.importing.accounting import Books, Entry
from service.catalog.importing.offering_ids import keep_one_per_offering
from service.pricing.money import MoneyError
from service.pricing.prices import MORE_PRICES, TokenPrices
from service.pricing.rules import FLAT, PriceRules

NO_MORE: tuple[Decimal | None, ...] = (None,) * len(MORE_PRICES)


@dataclass(frozen=True, slots=True)
class ImportedPrice:
    valid_from: datetime | None  # None: from the moment of the import
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    rules: PriceRules = FLAT
    # The prices beyond the four token prices, in service.pricing.prices.MORE_PRICES' order (None: unknown).
    more: tuple[Decimal | None, ...] = NO_MORE

    @classmethod
    def of(cls, valid_from: datetime | None, prices: TokenPrices, rules: PriceRules) -> ImportedPrice:
        return cls(valid_from, prices.input_per_mtok, prices.output_per_mtok, prices.cache_read_per_mtok,
                   prices.cache_write_per_mtok, rules, prices.more())

    def prices(self) -> TokenPrices:
        return TokenPrices(self.input_per_mtok, self.output_per_mtok, self.cache_read_per_mtok,
                           self.cache_write_per_mtok, *self.more)

    def more_by_name(self) -> dict[str, Decimal]:
        """The known prices beyond the four token prices, by their column's name."""
        return {name: price for name, price in zip(MORE_PRICES, self.more, strict=True) if price is not None}


@dataclass(slots=True)
class ImportedModel:
    id: str  # the offering: `model` when sold by its maker, else `provider/model` (offering_ids.py)
    provider: str  # our provider id (providers.py)
    name: str
    context_window: int | None
    prices: list[ImportedPrice]
    source_key: str = ""  # the entry's own key in its file: `bedrock/us.anthropic.claude-...`, `aws/nova-pro`


@dataclass(slots=True)
class Parsed:
    models: list[ImportedModel] = field(default_factory=list)
    books: Books = field(default_factory=Books)
    # Whose keys `source_key` holds ("litellm", "genai-prices"): the import records them as aliases of that source,
    # and the LiteLLM feed keys an offering by its LiteLLM alias.
    key_format: str = ""

    @property
    def skipped(self) -> list[str]:
        """One line per skipped entry and per component left out, each with its reason."""
        return self.books.lines


def parsed_of(
    candidates: list[tuple[str, str, tuple[ImportedModel, Entry]]], books: Books,
    reason_for: Callable[[str], str | None], key_format: str,
) -> Parsed:
    """What a file's parser ends with: one entry kept per offering (the shorter key), the others skipped with the
    key that won, and every kept entry's components closed in its books."""
    kept, dropped = keep_one_per_offering(candidates)
    for (model, account), winner in dropped:
        account.skipped(f"its offering {model.id} is taken by {winner}, the shorter key")
    for _, account in kept:
        account.imported(reason_for)
    return Parsed([model for model, _ in kept], books, key_format=key_format)


def token_prices(values: list[Decimal | None]) -> TokenPrices:
    """Input, output, cache read and cache write prices; cache prices may be unknown, the others may not."""
    input_per_mtok, output_per_mtok, cache_read, cache_write = values
    if input_per_mtok is None or output_per_mtok is None:
        raise MoneyError("no input and output price per token")
    return TokenPrices(input_per_mtok, output_per_mtok, cache_read, cache_write)


def window_of(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
