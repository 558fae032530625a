"""Reading other catalogs: LiteLLM's model_prices_and_context_window.json and genai-prices' data.json.

Both are turned into the same entries (entries.py): an offering, its provider, and one or more dated prices per
million tokens with the pricing rules the file states, plus the books of what was left out and why
(accounting.py). litellm.py and genai_prices.py say what each format holds; this module gathers the names.
"""

from service.catalog.importing.entries import ImportedModel, ImportedPrice, Parsed
from service.catalog.importing.genai_prices import parse_genai_prices
from service.catalog.importing.litellm import parse_litellm
from service.catalog.importing.providers import slug

__all__ = ["ImportedModel", "ImportedPrice", "Parsed", "parse_genai_prices", "parse_litellm", "slug"]
