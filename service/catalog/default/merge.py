"""Merging the seed and the packages' offerings into one catalog: the first source of the precedence wins.

An offering is one provider selling one model: `openai/gpt-4o` and a bare `gpt-4o` of provider `openai` are the
same offering (docs/offerings.md). Each source's offerings are taken in precedence order; an offering already
taken keeps its first source, and a later source that prices it differently is a conflict, written to the report.
An entry whose id another provider's offering already holds is left out and reported too: the database keeps one
row per id.

The seed spells versions with a dot (`claude-sonnet-4.6`) where the makers' APIs and both packages use a hyphen
(`claude-sonnet-4-6`): an entry of the same provider whose id is a seed id with hyphens for dots is the seed's
offering, so it loses to the seed like any other, and its id is kept as one of the offering's aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from service.api.structs import ALIAS_PATTERN
from service.catalog.default.document import OfferingDoc, PriceDoc, ProviderDoc, SourceKeyDoc
from service.catalog.importing.formats import ImportedModel
from service.catalog.rules import to_document
from service.pricing.money import format_decimal

_SLUG = "[a-z0-9][a-z0-9._-]{0,99}"
_OFFERING_ID = re.compile(f"({_SLUG})(/{_SLUG})?")
_PROVIDER_ID = re.compile(_SLUG)
_MAX_NAME = 200  # the models.name check


@dataclass(frozen=True, slots=True)
class Candidate:
    """One source's offering, already in the data file's shape."""

    source: str  # the source's name in the precedence
    key: str  # the entry's key in its file
    offering: OfferingDoc


@dataclass(frozen=True, slots=True)
class Conflict:
    offering: str
    kept: Candidate
    other: Candidate


@dataclass(slots=True)
class Merged:
    offerings: dict[str, OfferingDoc] = field(default_factory=dict)  # by id
    winners: dict[str, str] = field(default_factory=dict)  # offering id -> source name
    conflicts: list[Conflict] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # entries the merge could not take, with the reason


def offering_of(model: ImportedModel, source: str, key: str, as_of: datetime) -> OfferingDoc:
    """An imported model as an offering of the data file; its undated price is in force from `as_of`."""
    starts = [price.valid_from or as_of for price in model.prices]
    ends: list[datetime | None] = [*starts[1:], None]
    prices = []
    for price, start, end in zip(model.prices, starts, ends, strict=True):
        rules = None if price.rules.is_flat else to_document(price.rules)
        prices.append(PriceDoc(
            valid_from=start, valid_to=end, input_per_mtok=format_decimal(price.input_per_mtok),
            output_per_mtok=format_decimal(price.output_per_mtok),
            cache_read_per_mtok=_text(price.cache_read_per_mtok),
            cache_write_per_mtok=_text(price.cache_write_per_mtok),
            rules=rules, source=f"{source}: {key}",
            **{name: format_decimal(value) for name, value in price.more_by_name().items()}))
    name = model.name.strip()[:_MAX_NAME] or model.id
    return OfferingDoc(id=model.id, provider=model.provider, name=name, context_window=model.context_window,
                       prices=prices)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def merge(candidates: list[Candidate], as_of: datetime, seed: str = "seed") -> Merged:
    """`candidates` in precedence order (the seed's, named `seed`, first), each source's in its file's order."""
    merged = Merged()
    taken: dict[tuple[str, str], Candidate] = {}  # (provider, model) -> the winning candidate
    for candidate in candidates:
        offering = candidate.offering
        reason = _invalid(offering)
        if reason:
            merged.left_out.append(f"{candidate.source}: {candidate.key}: {reason}")
            continue
        identity = (offering.provider, offering.id.rsplit("/", 1)[-1])
        kept = taken.get(identity)
        if kept is not None:
            if terms(kept.offering, as_of) != terms(offering, as_of):
                merged.conflicts.append(Conflict(kept.offering.id, kept, candidate))
            if offering.id != kept.offering.id and offering.id not in kept.offering.aliases:
                kept.offering.aliases.append(offering.id)
            _keep_key(kept.offering, candidate)
            continue
        holder = merged.offerings.get(offering.id)
        if holder is not None:  # the same id, sold by another provider: only possible with bare ids
            merged.left_out.append(f"{candidate.source}: {candidate.key}: its id {offering.id} (provider "
                                   f"{offering.provider}) is already {holder.provider}'s offering")
            continue
        taken[identity] = candidate
        _keep_key(offering, candidate)
        if candidate.source == seed:
            taken[(identity[0], identity[1].replace(".", "-"))] = candidate
        merged.offerings[offering.id] = offering
        merged.winners[offering.id] = candidate.source
    return merged


_ALIAS = re.compile(ALIAS_PATTERN)


def _keep_key(offering: OfferingDoc, candidate: Candidate) -> None:
    """Record `candidate`'s key in its file as one of `offering`'s keys (a source's spelling of it)."""
    if candidate.key != offering.id and _ALIAS.match(candidate.key) and all(
            (known.source, known.key) != (candidate.source, candidate.key) for known in offering.keys):
        offering.keys.append(SourceKeyDoc(source=candidate.source, key=candidate.key))


def terms(offering: OfferingDoc, as_of: datetime) -> list[tuple[object, ...]]:
    """What a buyer pays from `as_of` on: the price in force then and those scheduled after, dates included."""
    return [
        (price.valid_from if price.valid_from > as_of else None, price.input_per_mtok, price.output_per_mtok,
         price.cache_read_per_mtok, price.cache_write_per_mtok, price.rules or None, *price.more())
        for price in offering.prices if price.valid_to is None or price.valid_to > as_of
    ]


def _invalid(offering: OfferingDoc) -> str | None:
    # The database's checks on ids (migration 0008), made here so the data file always loads.
    if not _PROVIDER_ID.fullmatch(offering.provider):
        return f"provider {offering.provider!r} is not a slug"
    match = _OFFERING_ID.fullmatch(offering.id)
    if match is None:
        return f"id {offering.id!r} is neither a slug nor provider/slug"
    if match.group(2) and match.group(1) != offering.provider:
        return f"id {offering.id!r} names another provider than {offering.provider!r}"
    if not offering.prices:
        return "no price"
    return None


def providers_of(offerings: list[OfferingDoc], named: dict[str, str]) -> list[ProviderDoc]:
    """Every provider that sells an offering; the seed names its own, the others are named by their id."""
    ids = sorted({offering.provider for offering in offerings})
    return [ProviderDoc(id=provider, name=named.get(provider, provider)) for provider in ids]
