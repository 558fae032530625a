"""Building the default catalog from the seed and the data shipped in the pinned LiteLLM and genai-prices packages.

Precedence, first wins: the seed (the article's six models keep exactly its prices, history and launch discount),
then genai-prices, then LiteLLM. genai-prices comes before LiteLLM because it scopes every price by the provider that
charges it and dates its price changes, which our history can hold, where LiteLLM keeps one undated price per key
and overwrites it when a price changes. The parsers are the import's (service/catalog/importing/), so an offering has
the id, prices and rules `catalog import` gives it, and each price row names the key of the entry it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import msgspec

from service.catalog.default.document import (
    CONFLICTS_FILE,
    DATA_FILE,
    LICENCES_FILE,
    DefaultCatalog,
    OfferingDoc,
    PriceDoc,
    PromotionDoc,
    SourceDoc,
    encode,
)
from service.catalog.default.merge import Candidate, Merged, merge, offering_of, providers_of
from service.catalog.default.report import conflicts_report, licences_text
from service.catalog.importing import package_data
from service.catalog.importing.formats import parse_genai_prices, parse_litellm
from service.catalog.seed import seed_document
from service.pricing.money import format_decimal

SEED, GENAI_PRICES, LITELLM = "seed", "genai-prices", "litellm"
LITELLM_FILE = "litellm/model_prices_and_context_window_backup.json"
PRECEDENCE = [SEED, GENAI_PRICES, LITELLM]
ABOUT = (
    "The default catalog that `make run` loads: the seed's six models, then every offering priced by the data that "
    "ships in the pinned genai-prices and LiteLLM packages. Built by `pricing-api catalog build-default`; do not "
    "edit by hand. Imported prices are in force from `as_of`. Conflicts between sources are in conflicts.md, the "
    "sources' licences in LICENCES.txt (docs/catalog-sources.md, Default catalog)."
)


@dataclass(frozen=True, slots=True)
class Built:
    data: bytes  # catalog.json
    conflicts: bytes  # conflicts.md
    licences: bytes  # LICENCES.txt


def build(as_of: datetime) -> Built:
    """The data file and its reports from the installed (pinned) packages; the same packages give the same bytes."""
    seed_source, seed = _seed_candidates()
    sources = [seed_source]
    candidates = list(seed)
    for name, file, parsed in (
        (GENAI_PRICES, "data.json", parse_genai_prices(package_data.genai_prices_data(), as_of)),
        (LITELLM, LITELLM_FILE, parse_litellm(package_data.litellm_cost_map())),
    ):
        source = _package_source(name, file)
        label = f"{name} {source.version} {file.rsplit('/', 1)[-1]}"
        source.entries, source.offerings = parsed.books.entries_read, len(parsed.models)
        source.left_out_by_parser = len(parsed.skipped)
        for model in parsed.models:
            key = model.source_key or model.name  # the entry's own key in its file
            candidates.append(Candidate(name, key, offering_of(model, label, key, as_of)))
        sources.append(source)
    merged = merge(candidates, as_of)
    for source in sources:
        source.won = sum(1 for winner in merged.winners.values() if winner == source.name)
    catalog = _catalog(merged, sources, as_of)
    return Built(encode(catalog), conflicts_report(merged, catalog), licences_text([GENAI_PRICES, LITELLM]))


def write(built: Built, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in ((DATA_FILE, built.data), (CONFLICTS_FILE, built.conflicts), (LICENCES_FILE, built.licences)):
        (directory / name).write_bytes(data)


def _catalog(merged: Merged, sources: list[SourceDoc], as_of: datetime) -> DefaultCatalog:
    offerings = sorted(merged.offerings.values(), key=lambda offering: offering.id)
    named = {item["id"]: item["name"] for item in seed_document()["providers"]}
    return DefaultCatalog(about=ABOUT, as_of=as_of, precedence=PRECEDENCE, sources=sources,
                          providers=providers_of(offerings, named), offerings=offerings)


def _package_source(name: str, file: str) -> SourceDoc:
    # The licence is the one the wheel declares (both are MIT; LiteLLM's covers all but its enterprise/ folder).
    meta = metadata.metadata(name)
    return SourceDoc(name=name, version=meta["Version"], licence=meta["License-Expression"], file=file)


def _seed_candidates() -> tuple[SourceDoc, list[Candidate]]:
    """The seed's models exactly as the seed states them: prices, periods, promotions and their source."""
    doc = seed_document()
    source = doc["source"]
    offerings = []
    for model in doc["models"]:
        prices = [_seed_price(item, source) for item in doc["prices"] if item["model"] == model["id"]]
        promotions = [msgspec.convert({**_fields(item), "percent_off": format_decimal(Decimal(item["percent_off"])),
                                       "source": source}, PromotionDoc)
                      for item in doc["promotions"] if item["model"] == model["id"]]
        fields = {key: value for key, value in model.items() if key in OfferingDoc.__struct_fields__}
        offerings.append(msgspec.convert({**fields, "prices": prices, "promotions": promotions}, OfferingDoc,
                                         from_attributes=True))
    seed = SourceDoc(name=SEED, file="service/catalog/seed/catalog.json", entries=len(offerings),
                     offerings=len(offerings))
    return seed, [Candidate(SEED, offering.id, offering) for offering in offerings]


def _seed_price(item: dict, source: str) -> PriceDoc:
    # The seed's digits exactly ("2.00"), written as every other price of the file is ("2").
    money = {key: format_decimal(Decimal(value)) for key, value in item.items() if key.endswith("_per_mtok")}
    return msgspec.convert({**_fields(item), **money, "source": source}, PriceDoc)


def _fields(item: dict) -> dict:
    return {key: value for key, value in item.items() if key != "model"}


def default_as_of(existing: Path) -> datetime:
    """The `as_of` of the committed file while the pins are unchanged (a rebuild gives the same bytes), else
    today: prices of newly pinned packages are in force from the day they were built."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if not existing.exists():
        return today
    head = msgspec.json.decode(existing.read_bytes(), type=_Head)
    pinned = {source.name: source.version for source in head.sources}
    installed = {name: metadata.version(name) for name in (GENAI_PRICES, LITELLM)}
    return head.as_of if all(pinned.get(name) == version for name, version in installed.items()) else today


class _Head(msgspec.Struct):
    as_of: datetime
    sources: list[SourceDoc]

