"""Building the default catalog: deterministic, what the pinned packages give, every row with its source, and one
precedence (seed, genai-prices, LiteLLM) with every conflict reported."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from service.catalog.default.build import GENAI_PRICES, LITELLM, PRECEDENCE, build
from service.catalog.default.document import CONFLICTS_FILE, DATA_FILE, LICENCES_FILE, decode
from service.catalog.default.merge import Candidate, merge, offering_of
from service.catalog.importing import package_data
from service.catalog.importing.formats import ImportedModel, ImportedPrice
from service.catalog.seed import seed_document
from service.cli.default_catalog import DEFAULT_DIRECTORY

AS_OF = datetime(2026, 12, 4, tzinfo=UTC)
LATER = datetime(2027, 1, 1, tzinfo=UTC)


def _committed() -> bytes:
    return (DEFAULT_DIRECTORY / DATA_FILE).read_bytes()


def _build_with_the_command(output: Path, as_of: str) -> dict[str, bytes]:
    done = subprocess.run([sys.executable, "-m", "service.cli", "catalog", "build-default", "--output", str(output),
                           "--as-of", as_of], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "offerings of" in done.stdout
    return {name: (output / name).read_bytes() for name in (DATA_FILE, CONFLICTS_FILE, LICENCES_FILE)}


def test_two_builds_of_the_same_pins_write_the_same_bytes(tmp_path):
    # Two processes, so nothing (hash seeds, dict order, the clock) can make the bytes differ and go unseen.
    first = _build_with_the_command(tmp_path / "first", "2026-12-04")
    second = _build_with_the_command(tmp_path / "second", "2026-12-04")
    assert first == second
    assert decode(first[DATA_FILE]).as_of == AS_OF


def test_the_committed_catalog_is_what_the_pinned_packages_build():
    committed = decode(_committed())
    built = build(committed.as_of)
    assert built.data == _committed(), "service/catalog/default/ is stale: run `pricing-api catalog build-default`"
    assert built.conflicts == (DEFAULT_DIRECTORY / CONFLICTS_FILE).read_bytes()
    assert built.licences == (DEFAULT_DIRECTORY / LICENCES_FILE).read_bytes()


def test_the_sources_are_recorded_with_their_pinned_versions_and_licences():
    catalog = decode(_committed())
    assert catalog.precedence == PRECEDENCE == ["seed", "genai-prices", "litellm"]
    by_name = {source.name: source for source in catalog.sources}
    for name in (GENAI_PRICES, LITELLM):
        assert by_name[name].version == metadata.version(name)
        assert by_name[name].licence == "MIT"
        assert by_name[name].entries > 0 and by_name[name].offerings > 0
    assert sum(source.won for source in catalog.sources) == len(catalog.offerings)
    licences = (DEFAULT_DIRECTORY / LICENCES_FILE).read_text()
    assert licences.count("Permission is hereby granted, free of charge") == 2  # the MIT notice of each


def test_every_price_row_names_the_file_version_and_key_it_came_from():
    catalog = decode(_committed())
    litellm_keys = set(json.loads(package_data.litellm_cost_map()))
    genai_keys = {f"{p['id']}/{m['id']}" for p in json.loads(package_data.genai_prices_data()) for m in p["models"]}
    seed_source = seed_document()["source"]
    prefixes = {f"genai-prices {metadata.version('genai-prices')} data.json: ": genai_keys,
                f"litellm {metadata.version('litellm')} model_prices_and_context_window_backup.json: ": litellm_keys}
    counted = dict.fromkeys(prefixes, 0)
    for offering in catalog.offerings:
        for price in offering.prices:
            if price.source == seed_source:
                continue
            prefix = next(p for p in prefixes if price.source.startswith(p))
            assert price.source.removeprefix(prefix) in prefixes[prefix], price.source
            counted[prefix] += 1
    assert all(count > 500 for count in counted.values()), counted


def _model(model_id: str, provider: str, input_price: str, output_price: str = "2") -> ImportedModel:
    return ImportedModel(id=model_id, provider=provider, name=model_id, context_window=None,
                         prices=[ImportedPrice(None, Decimal(input_price), Decimal(output_price))])


def _candidate(source: str, model: ImportedModel) -> Candidate:
    return Candidate(source, f"{model.provider}/{model.id}", offering_of(model, source, model.id, AS_OF))


def test_the_first_source_of_the_precedence_wins_and_a_different_price_is_a_conflict():
    candidates = [
        _candidate("genai-prices", _model("m-1", "maker", "1")),
        _candidate("genai-prices", _model("together/m-1", "together", "0.8")),
        _candidate("litellm", _model("m-1", "maker", "1.5")),  # the maker's offering again, another price
        _candidate("litellm", _model("maker/m-1", "maker", "1")),  # the same offering spelled maker/model
        _candidate("litellm", _model("m-2", "maker", "3")),
    ]
    merged = merge(candidates, AS_OF)
    assert set(merged.offerings) == {"m-1", "together/m-1", "m-2"}
    assert merged.offerings["m-1"].prices[0].input_per_mtok == "1"
    assert merged.winners == {"m-1": "genai-prices", "together/m-1": "genai-prices", "m-2": "litellm"}
    assert [(c.offering, c.kept.source, c.other.source, c.other.offering.prices[0].input_per_mtok)
            for c in merged.conflicts] == [("m-1", "genai-prices", "litellm", "1.5")]
    assert merged.offerings["m-1"].aliases == ["maker/m-1"]


def test_an_id_held_by_another_providers_offering_is_left_out_with_its_reason():
    merged = merge([_candidate("genai-prices", _model("m-1", "maker", "1")),
                    _candidate("litellm", _model("m-1", "cloud", "1.2"))], AS_OF)
    assert merged.offerings["m-1"].provider == "maker"
    assert merged.left_out == ["litellm: cloud/m-1: its id m-1 (provider cloud) is already maker's offering"]


def test_the_seed_wins_its_models_also_under_the_makers_hyphenated_spelling():
    seed = _candidate("seed", _model("claude-sonnet-4.6", "anthropic", "3", "15"))
    merged = merge([seed, _candidate("genai-prices", _model("claude-sonnet-4-6", "anthropic", "3", "15")),
                    _candidate("litellm", _model("claude-sonnet-4-6", "anthropic", "3.3", "15"))], AS_OF)
    assert list(merged.offerings) == ["claude-sonnet-4.6"]
    assert merged.offerings["claude-sonnet-4.6"].aliases == ["claude-sonnet-4-6"]
    assert [(c.kept.source, c.other.source) for c in merged.conflicts] == [("seed", "litellm")]


def test_a_scheduled_price_change_counts_in_a_conflict_and_ids_that_break_the_schema_are_left_out():
    now_and_later = ImportedModel(id="m-1", provider="maker", name="M", context_window=None, prices=[
        ImportedPrice(None, Decimal(1), Decimal(2)), ImportedPrice(LATER, Decimal("0.5"), Decimal(1))])
    merged = merge([_candidate("genai-prices", now_and_later), _candidate("litellm", _model("m-1", "maker", "1")),
                    _candidate("litellm", _model("other/m-9", "maker", "1"))], AS_OF)
    kept = merged.offerings["m-1"].prices
    assert [(p.valid_from, p.valid_to) for p in kept] == [(AS_OF, LATER), (LATER, None)]
    assert len(merged.conflicts) == 1
    assert merged.left_out == ["litellm: maker/other/m-9: id 'other/m-9' names another provider than 'maker'"]


def test_the_report_lists_each_conflict_with_both_sources_keys_and_prices():
    report = (DEFAULT_DIRECTORY / CONFLICTS_FILE).read_text()
    catalog = decode(_committed())
    flash = next(o for o in catalog.offerings if o.id == "deepseek-v4-flash")
    assert flash.prices[0].input_per_mtok == "0.14"
    # Both packages price V4-Flash otherwise than the seed: the seed's price is kept and each other one reported.
    lines = [line for line in report.splitlines() if line.startswith("| deepseek-v4-flash | seed")]
    assert all("| 0.14 / 0.28 / 0.0028 / - |" in line for line in lines)
    assert ["genai-prices, deepseek/deepseek-v4-flash" in lines[0], "litellm, deepseek-v4-flash" in lines[1]] == [
        True, True]
