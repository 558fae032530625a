"""The reports kept beside the default catalog's data file: its conflicts between sources, and its sources' licences."""

from __future__ import annotations

from datetime import datetime
from importlib import metadata
from pathlib import Path

from service.catalog.default.document import DefaultCatalog, OfferingDoc, PriceDoc
from service.catalog.default.merge import Merged
from service.pricing.prices import MORE_PRICES


def conflicts_report(merged: Merged, catalog: DefaultCatalog) -> bytes:
    """Markdown, sorted, with no instant of its own: the same catalog always gives the same report."""
    as_of = catalog.as_of
    lines = [
        "# Conflicts between the default catalog's sources",
        "",
        "Written by `pricing-api catalog build-default` beside `catalog.json`; do not edit by hand. "
        f"Precedence, first wins: {', '.join(catalog.precedence)}. Prices are per million tokens (input / output / "
        f"cache read / cache write), as in force from {as_of.date().isoformat()} on.",
        "",
        "## Sources",
        "",
        "| source | version | licence | entries | offerings parsed | left out by the parser | offerings won |",
        "|---|---|---|---|---|---|---|",
        *(f"| {s.name} | {s.version or '-'} | {s.licence or '-'} | {s.entries} | {s.offerings} | "
          f"{s.left_out_by_parser} | {s.won} |" for s in catalog.sources),
        "",
        f"## Same offering, different prices ({len(merged.conflicts)})",
        "",
        "| offering | kept: source, key | kept price | other: source, key | other price |",
        "|---|---|---|---|---|",
    ]
    for conflict in sorted(merged.conflicts, key=lambda c: (c.offering, c.other.source, c.other.key)):
        lines.append(f"| {_cell(conflict.offering)} | {conflict.kept.source}, {_cell(conflict.kept.key)} | "
                     f"{_describe(conflict.kept.offering, as_of)} | {conflict.other.source}, "
                     f"{_cell(conflict.other.key)} | {_describe(conflict.other.offering, as_of)} |")
    lines += ["", f"## Entries left out by the merge ({len(merged.left_out)})", ""]
    lines += [f"- {_cell(line)}" for line in sorted(merged.left_out)]
    return ("\n".join(lines) + "\n").encode()


def _describe(offering: OfferingDoc, as_of: datetime) -> str:
    # The prices `terms` compares: the one in force at as_of, and those scheduled after it.
    in_force = [price for price in offering.prices if price.valid_to is None or price.valid_to > as_of]
    return "; ".join(_price(price, as_of) for price in in_force)


def _price(price: PriceDoc, as_of: datetime) -> str:
    amounts = [price.input_per_mtok, price.output_per_mtok, price.cache_read_per_mtok, price.cache_write_per_mtok]
    text = " / ".join(amount if amount is not None else "-" for amount in amounts)
    more = [f"{name} {value}" for name, value in zip(MORE_PRICES, price.more(), strict=True) if value is not None]
    if more:
        text += f" ({', '.join(more)})"
    if price.rules:
        kinds = [name.replace("_", " ") for name, items in price.rules.items() if items]
        text += f" with {', '.join(kinds)}"
    if price.valid_from > as_of:
        text = f"from {price.valid_from.date().isoformat()}: {text}"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def licences_text(packages: list[str]) -> bytes:
    """Each source package's licence files as its wheel ships them: the MIT licence asks that its notice travel
    with copies of the data."""
    parts = []
    for name in packages:
        distribution = metadata.distribution(name)
        for file in sorted(str(path) for path in distribution.files or () if "licenses/" in str(path)):
            text = Path(str(distribution.locate_file(file))).read_text()
            parts.append(f"== {name} {distribution.version}: {file.rsplit('/', 1)[-1]} ==\n\n{text.strip()}\n")
    return "\n".join(parts).encode()
