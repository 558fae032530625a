"""The default catalog's data file: its shape, and how it is read and written, byte for byte the same each time.

The file is JSON with one provider or one offering per line, sorted by id, so a rebuild after a price change is a
one-line diff. Money is written as plain decimal text (`format_decimal`), never through a float.
"""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from typing import Any

import msgspec

# The data file and the reports beside it, in this package.
DATA_FILE = "catalog.json"
CONFLICTS_FILE = "conflicts.md"
LICENCES_FILE = "LICENCES.txt"


class Doc(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Fields left at their default (None, empty) are not written, which keeps the file small. (kw_only applies
    only to the fields of the class that says it, so each subclass says it again.)"""


class SourceDoc(Doc, kw_only=True):
    name: str  # "litellm", "genai-prices", or "seed"
    version: str | None = None  # the package's pinned version; None for the seed
    licence: str | None = None  # the wheel's License-Expression
    file: str  # the file read, inside the package (or the repository, for the seed)
    entries: int = 0  # entries the file holds
    offerings: int = 0  # offerings the parser made of them
    left_out_by_parser: int = 0  # lines the parser reported as left out
    won: int = 0  # offerings of the default catalog that come from this source


class PriceDoc(Doc, kw_only=True):
    valid_from: datetime
    valid_to: datetime | None = None
    input_per_mtok: str
    output_per_mtok: str
    cache_read_per_mtok: str | None = None
    cache_write_per_mtok: str | None = None
    rules: dict[str, Any] | None = None  # service.catalog.rules.to_document; None for a flat rate
    # The prices beyond the four token prices (service.pricing.prices.MORE_PRICES), where known.
    per_request: str | None = None
    audio_input_per_mtok: str | None = None
    audio_output_per_mtok: str | None = None
    image_input_per_mtok: str | None = None
    image_output_per_mtok: str | None = None
    cache_write_1h_per_mtok: str | None = None
    source: str  # which file, which version, which key

    def more(self) -> tuple[str | None, ...]:
        return (self.per_request, self.audio_input_per_mtok, self.audio_output_per_mtok, self.image_input_per_mtok,
                self.image_output_per_mtok, self.cache_write_1h_per_mtok)


class PromotionDoc(Doc, kw_only=True):
    name: str
    percent_off: str
    valid_from: datetime
    valid_to: datetime | None = None
    source: str


class ProviderDoc(Doc, kw_only=True):
    id: str
    name: str


class SourceKeyDoc(Doc, kw_only=True):
    """The key a source's file gives an offering (`bedrock/anthropic.claude-…-v1:0` in LiteLLM's map)."""

    source: str  # the source's name in the precedence: litellm, genai-prices
    key: str


class OfferingDoc(Doc, kw_only=True):
    id: str
    provider: str
    name: str
    open_weights: bool = False
    context_window: int | None = None
    released_on: date | None = None
    prices: list[PriceDoc]
    promotions: list[PromotionDoc] = []
    # Other ids the sources gave this same offering (`claude-sonnet-4-6` for the seed's `claude-sonnet-4.6`),
    # loaded as its aliases.
    aliases: list[str] = []
    # Each source's own key for this offering, where it is not the id: loaded as aliases whose source names the
    # source (`litellm key, …`), so estimates take a LiteLLM user's key and the LiteLLM feed gives it back.
    keys: list[SourceKeyDoc] = []


class DefaultCatalog(Doc, kw_only=True):
    about: str
    as_of: datetime  # imported prices are in force from this instant: the date the pins were taken
    precedence: list[str]  # source names, the first wins an offering that several sources price
    sources: list[SourceDoc]
    providers: list[ProviderDoc]
    offerings: list[OfferingDoc]


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(DefaultCatalog)


def encode(catalog: DefaultCatalog) -> bytes:
    head = {field: getattr(catalog, field) for field in ("about", "as_of", "precedence", "sources")}
    lines = [b"{" + _ENCODER.encode(head)[1:-1] + b","]
    for name, items in (("providers", catalog.providers), ("offerings", catalog.offerings)):
        lines.append(_ENCODER.encode(name) + b": [")
        lines += [_ENCODER.encode(item) + b"," for item in items]
        if items:
            lines[-1] = lines[-1][:-1]
        lines.append(b"],")
    lines[-1] = b"]"
    return b"\n".join([*lines, b"}", b""])


def decode(raw: bytes) -> DefaultCatalog:
    return _DECODER.decode(raw)


def packaged_bytes() -> bytes:
    """The committed data file, as installed with the package."""
    return resources.files("service.catalog.default").joinpath(DATA_FILE).read_bytes()
