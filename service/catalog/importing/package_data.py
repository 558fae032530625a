"""The catalogs that ship inside the pinned LiteLLM and genai-prices packages, as the files our parsers read.

LiteLLM's wheel carries its cost map as a JSON file. genai-prices ships its data as Python objects
(`genai_prices.data.providers`), so they are written out here in the shape of its data.json: dataclasses as
objects (a field ending in `_` under its JSON name: `or_` is `or`), price sets as objects of their prices, dates
as ISO strings and Decimals as JSON numbers with their exact digits. A test reads the dump back through
genai-prices' own loader and finds the same objects.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

_LITELLM_MAP = "litellm/model_prices_and_context_window_backup.json"
_MISSING = "the {package} package is not installed: pip install -e '.[dev]' installs the pinned version"
_ENCODER = msgspec.json.Encoder(decimal_format="number")  # Decimal('0.075') is written 0.075, digit for digit

class MissingPackage(RuntimeError):
    """An upstream package that is not installed; the message names it and how to get it."""


def _module(name: str, package: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingPackage(_MISSING.format(package=package)) from None


def litellm_cost_map() -> bytes:
    """LiteLLM's model_prices_and_context_window_backup.json, as shipped in its package."""
    # Found through the installed distribution, never by importing litellm: its import takes seconds and reaches
    # for the network to refresh this very map.
    try:
        distribution = importlib.metadata.distribution("litellm")
    except importlib.metadata.PackageNotFoundError:
        raise MissingPackage(_MISSING.format(package="litellm")) from None
    return Path(str(distribution.locate_file(_LITELLM_MAP))).read_bytes()


def genai_prices_data() -> bytes:
    """genai-prices' providers, dumped as the JSON document of its data.json."""
    data = _module("genai_prices.data", "genai-prices")
    return _ENCODER.encode(_plain(data.providers))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((field.name, getattr(value, field.name)) for field in dataclasses.fields(value)
                  if not field.name.startswith("_"))
        return {name.rstrip("_"): _plain(item) for name, item in fields if item is not None}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool | Decimal):
        return value
    # genai-prices' ModelPrice: a plain object whose attributes are its prices.
    return {key: _plain(item) for key, item in vars(value).items() if item is not None and not key.startswith("_")}
