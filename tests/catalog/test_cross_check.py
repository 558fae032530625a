"""Our prices against LiteLLM's and genai-prices' own calculators, on their full catalogs as imported here.

Each source's full catalog is imported into the test's database and every imported offering is priced through
the estimate path on three usages at two instants (cross_check.py), and by the source's own calculator. Every
difference must be explained by a rule (cross_check_rules.py), and each category's count must be the one
docs/catalog-sources.md states: a new difference, or one that went away, fails here until the table says why.
Run with `-s` to print every difference by category.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from service.catalog.importing.genai_prices import parse_genai_prices
from service.catalog.importing.importer import apply_import
from service.catalog.importing.litellm import parse_litellm
from service.catalog.importing.package_data import genai_prices_data, litellm_cost_map
from service.snapshot.catalog_snapshot import load_snapshot
from tests.catalog.cross_check import IMPORTED_AT, INSTANTS, USAGES, compare, usages_of
from tests.catalog.cross_check_rules import GENAI_RULES, classify, litellm_rules

_DOC = Path(__file__).parents[2] / "docs" / "catalog-sources.md"
_ROW = re.compile(r"^\| (?P<category>(?:litellm|genai-prices): [^|]+?) \| (?P<kind>[^|]+?) \| (?P<count>[0-9]+) \|")


def documented_counts(source: str) -> dict[str, int]:
    """The categories of `source` in the Truth section's table, with their counts."""
    text = _DOC.read_text().split("## Truth", 1)[1].split("\n## ", 1)[0]
    rows = (_ROW.match(line) for line in text.splitlines())
    return {row["category"]: int(row["count"]) for row in rows if row and row["category"].startswith(source)}


def _source(source: str) -> tuple[Any, dict[str, Any]]:
    if source == "litellm":
        raw = litellm_cost_map()
        return parse_litellm(raw), json.loads(raw)
    raw = genai_prices_data()
    providers = json.loads(raw, parse_float=Decimal)  # the data's exact decimals, as genai-prices holds them
    entries = {f"{provider['id']}/{model['id']}": model for provider in providers for model in provider["models"]}
    return parse_genai_prices(raw, now=IMPORTED_AT), entries


@pytest.mark.parametrize("source", ["litellm", "genai-prices"])
async def test_every_difference_from_the_sources_own_calculator_is_explained_and_counted(session, source):
    parsed, entries = _source(source)
    report = await apply_import(session, parsed, f"import:{source}", IMPORTED_AT)
    assert report.refused == []
    snapshot = await load_snapshot(session)

    found, made = compare(source, snapshot, parsed.models, entries)
    rules = litellm_rules(entries) if source == "litellm" else GENAI_RULES
    categories = classify(found, rules, entries)
    for category, comparisons in sorted(categories.items()):
        print(f"{category}: {len(comparisons)}")
        print("".join(f"    {comparison.line()}\n" for comparison in comparisons), end="")

    # Every offering was priced both ways, and most agree: a test that compared nothing could not fail.
    assert made == sum(len(usages_of(model)) for model in parsed.models) * len(INSTANTS) and made > 10_000
    assert made > len(parsed.models) * len(USAGES) * len(INSTANTS)  # some offerings hold the prices beyond the four
    assert len(found) < made // 10
    assert [c.line() for c in categories.get("unclassified", [])] == []
    assert {category: len(found) for category, found in categories.items()} == documented_counts(source)
