"""`pricing-api catalog build-default`: the default catalog's data file, from the seed and the pinned packages."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import service.catalog.default

# The committed copy: in the source tree (an editable install), which is where a rebuild belongs.
DEFAULT_DIRECTORY = Path(service.catalog.default.__file__).resolve().parent


def add_arguments(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    build = actions.add_parser(
        "build-default", help="rebuild the default catalog's data file and reports from the installed (pinned) "
                              "genai-prices and LiteLLM packages; no database is used")
    build.add_argument("--output", type=Path, default=DEFAULT_DIRECTORY,
                       help="the folder for catalog.json, conflicts.md and LICENCES.txt (default: the package's)")
    build.add_argument("--as-of", type=_day, default=None,
                       help="the day imported prices are in force from, YYYY-MM-DD (default: the existing file's "
                            "while the pins are unchanged, else today)")


def run(args: argparse.Namespace) -> int:
    from service.catalog.default.build import build, default_as_of, write
    from service.catalog.default.document import CONFLICTS_FILE, DATA_FILE, decode

    as_of = args.as_of or default_as_of(args.output / DATA_FILE)
    built = build(as_of)
    write(built, args.output)
    catalog = decode(built.data)
    sources = ", ".join(f"{s.name} {s.version}" for s in catalog.sources if s.version)
    print(f"wrote {args.output / DATA_FILE}: {len(catalog.offerings)} offerings of {len(catalog.providers)} "
          f"providers, prices in force from {as_of.date().isoformat()} ({len(built.data)} bytes; {sources}); "
          f"conflicts in {args.output / CONFLICTS_FILE}")
    return 0


def _day(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
