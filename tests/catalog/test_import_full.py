"""The full upstream catalogs, as their pinned packages ship them: the books add up, nothing is left unnamed, and
both import into a real database, where importing them again changes nothing."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices.data import providers as genai_providers
from genai_prices.types import _providers_from_raw
from sqlalchemy import func, select

from service.catalog.importing.accounting import UNKNOWN
from service.catalog.importing.genai_prices import parse_genai_prices
from service.catalog.importing.importer import apply_import
from service.catalog.importing.litellm import parse_litellm
from service.catalog.importing.package_data import MissingPackage, genai_prices_data, litellm_cost_map
from service.db.models import ModelRow, PriceRow

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def litellm_raw() -> bytes:
    return litellm_cost_map()


@pytest.fixture(scope="module")
def genai_raw() -> bytes:
    return genai_prices_data()


def test_the_genai_prices_dump_reads_back_through_its_own_loader_as_the_same_data(genai_raw):
    assert _providers_from_raw(json.loads(genai_raw, parse_float=Decimal)) == genai_providers


def _every_component(raw: bytes, parse) -> None:
    parsed = parse(raw)
    books = parsed.books
    assert books.entries_read == books.entries_imported + books.entries_skipped
    assert books.components_read == books.components_held + books.components_named
    assert books.entries_imported == len(parsed.models)
    # One line per skipped entry and per named component of an imported entry, each with its reason.
    named_lines = [line for line in books.lines if " left out: " in line]
    skipped_lines = [line for line in books.lines if ": skipped: " in line]
    assert len(skipped_lines) == books.entries_skipped and len(named_lines) + len(skipped_lines) == len(books.lines)
    assert all(line.split(": ", 1)[1].strip() for line in books.lines)
    # A key nobody classified is named as unknown: none may be, so a new upstream key fails here first.
    assert [line for line in books.lines if line.endswith(UNKNOWN)] == []
    assert len({model.id for model in parsed.models}) == len(parsed.models)


def test_every_component_of_litellms_full_map_is_held_or_named(litellm_raw):
    _every_component(litellm_raw, parse_litellm)
    parsed = parse_litellm(litellm_raw)
    assert parsed.books.entries_read == len(json.loads(litellm_raw)) - 1  # all but sample_spec
    assert parsed.books.entries_imported > 3000 and parsed.books.components_held > 10_000


def test_every_component_of_genai_prices_full_data_is_held_or_named(genai_raw):
    _every_component(genai_raw, parse_genai_prices)
    parsed = parse_genai_prices(genai_raw, now=NOW)
    assert parsed.books.entries_read == sum(len(provider.models) for provider in genai_providers)
    assert parsed.books.entries_imported > 1800


def test_offerings_of_the_full_map_sit_beside_their_makers(litellm_raw, genai_raw):
    litellm = {model.source_key: model for model in parse_litellm(litellm_raw).models}
    assert litellm["gpt-4o"].id == "gpt-4o" and litellm["azure/gpt-4o"].id == "azure/gpt-4o"
    assert litellm["anthropic.claude-3-5-sonnet-20240620-v1:0"].id == "bedrock/claude-3-5-sonnet-20240620"
    assert litellm["together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"].id == \
        "together/llama-3.3-70b-instruct-turbo"
    genai = {model.source_key: model for model in parse_genai_prices(genai_raw, now=NOW).models}
    assert genai["anthropic/claude-sonnet-4-5"].id == "claude-sonnet-4-5"
    assert {model.provider for model in genai.values()} >= {"bedrock", "together", "openrouter", "github-copilot"}


def test_a_weekday_off_peak_table_of_the_full_map_becomes_windows_with_days(litellm_raw):
    model = next(model for model in parse_litellm(litellm_raw).models if model.source_key == "deepseek-v4-flash")
    windows = model.prices[0].rules.windows
    assert windows and {window.name for window in windows} == {"off-peak"}
    weekend = [window.window for window in windows if window.window.days == frozenset({5, 6})]
    assert [(w.start, w.end) for w in weekend] == [(0, 1440)]


@pytest.mark.parametrize("source", ["litellm", "genai-prices"])
async def test_a_full_catalog_imports_into_the_database_and_a_reimport_changes_nothing(
        session, litellm_raw, genai_raw, source):
    parse, raw = (parse_litellm, litellm_raw) if source == "litellm" else (parse_genai_prices, genai_raw)
    first = await apply_import(session, parse(raw), f"import:{source}", NOW)
    assert first.refused == [] and first.models_created > 1800
    assert first.books.balanced and all(": " in line for line in first.skipped)
    models = await session.scalar(select(func.count()).select_from(ModelRow))
    prices = await session.scalar(select(func.count()).select_from(PriceRow))
    again = await apply_import(session, parse(raw), f"import:{source}", NOW.replace(hour=13))
    assert (again.models_created, again.prices_added, again.refused) == (0, 0, [])
    assert again.unchanged == sum(len(model.prices) for model in parse(raw).models)
    assert await session.scalar(select(func.count()).select_from(ModelRow)) == models
    assert await session.scalar(select(func.count()).select_from(PriceRow)) == prices


def test_a_missing_upstream_package_is_a_clear_error_naming_it(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(MissingPackage, match="the litellm package is not installed"):
        litellm_cost_map()
    monkeypatch.setitem(sys.modules, "genai_prices.data", None)  # None in sys.modules: an import fails
    with pytest.raises(MissingPackage, match="the genai-prices package is not installed"):
        genai_prices_data()


def test_reading_litellms_map_does_not_import_litellm():
    # Importing litellm takes seconds and reaches for the network; the map is read as a file of its distribution.
    code = ("import sys; from service.catalog.importing.package_data import litellm_cost_map; "
            "assert len(litellm_cost_map()) > 1_000_000; print('litellm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
