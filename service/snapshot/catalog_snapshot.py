"""An in-process copy of the whole catalog, as pure-core timelines: estimates price from it without a query.

A snapshot is never changed once made. It records the last catalog change it includes (`seq`, the change log's
sequence number), so that the next one can be made from it by applying only what changed since.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import ambiguous_alias, not_found, offering_required
from service.catalog.aliases import load_aliases
from service.catalog.price_queries import load_timelines
from service.db.models import AliasRow, ModelRow
from service.pricing.timeline import ModelTimeline
from service.snapshot.assumption_history import AssumptionHistory, load_assumption_history


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    provider: str
    name: str
    context_window: int | None
    # The rest of a model's row, so that a page of /v1/models can be cut from the snapshot (catalog/snapshot_lists).
    open_weights: bool = False
    released_on: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AliasSpan(NamedTuple):
    """One period over which a name names an offering."""

    model_id: str
    valid_from: datetime
    valid_to: datetime | None
    source: str = ""

    def covers(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    models: dict[str, ModelInfo]
    timelines: dict[str, ModelTimeline]
    loaded_at: datetime
    seq: int = 0  # the last change of the catalog's change log that this snapshot includes
    # What each model part names (docs/offerings.md): "x" -> ("fireworks/x", "together/x", "x"), ids in order.
    offerings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Other names (docs/offerings.md): name -> its periods, and offering -> its names, to update by offering.
    aliases: dict[str, tuple[AliasSpan, ...]] = field(default_factory=dict)
    alias_names: dict[str, frozenset[str]] = field(default_factory=dict)
    # The project assumptions' whole history (service/snapshot/assumption_history.py): kept current with the rest.
    assumptions: AssumptionHistory = field(default_factory=AssumptionHistory)
    # What a reader works out once from this snapshot, since it never changes (service/estimates/project_offerings.py),
    # by the reader's own key: not part of the snapshot's value, and a snapshot made by replace() starts without it.
    derived: dict[object, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.offerings and self.models:
            object.__setattr__(self, "offerings", _offerings_of(self.models))

    def resolve(self, model_id: str, at: datetime | None = None) -> str:
        """The stored id that `model_id` names: itself; for `maker/model` the maker's bare offering; else the
        offering an alias names at `at` (default now).

        A bare id that only other providers sell, or an alias that names several offerings at `at`, is a 409
        listing them; anything else unknown is a 404. The cost is that of the model's own offerings and the
        name's own periods, never the catalog's.
        """
        if model_id in self.timelines:
            return model_id
        provider, _, part = model_id.rpartition("/")
        found = self.offerings.get(part, ())
        for offering in found if provider else ():
            if self.models[offering].provider == provider:
                return offering
        spans = self.aliases.get(model_id)
        if spans:
            when = at or datetime.now(UTC)
            named = sorted({span.model_id for span in spans if span.covers(when)})
            if len(named) == 1:
                return named[0]
            if named:
                raise ambiguous_alias(model_id, named)
        if found and not provider:
            raise offering_required(model_id, list(found))
        raise not_found("model", model_id)

    def names_of(self, model_id: str, at: datetime, source_prefix: str) -> list[str]:
        """The aliases of `model_id` in force at `at` whose source starts with `source_prefix`, in order."""
        return sorted(name for name in self.alias_names.get(model_id, ()) if any(
            span.model_id == model_id and span.covers(at) and span.source.startswith(source_prefix)
            for span in self.aliases[name]))

    def model_named(self, ref: str, at: datetime | None = None) -> str:
        """The model (what was released) that `ref` names: a model with offerings, or the model of the offering
        that `ref` resolves to (an offering's id, `maker/model`, an alias)."""
        if ref in self.offerings:
            return ref
        return model_part(self.resolve(ref, at))

    def updated(self, rows: Iterable[ModelRow], timelines: dict[str, ModelTimeline], asked: Iterable[str],
                seq: int, alias_rows: Iterable[AliasRow] = ()) -> CatalogSnapshot:
        """A new snapshot in which each model of `asked` is as in `rows` and `timelines`, or gone if it is not
        there. The dicts are copied, not changed: readers of this snapshot never see a half-applied update."""
        asked = list(asked)
        models, kept_timelines = dict(self.models), dict(self.timelines)
        present = {row.id: row for row in rows}
        for model_id in asked:
            if model_id not in present:
                models.pop(model_id, None)
                kept_timelines.pop(model_id, None)
        added = False
        for model_id, row in present.items():
            added = added or model_id not in models
            models[model_id] = _info(row)  # an existing key keeps its place: the order by id holds
            kept_timelines[model_id] = timelines[model_id]
        if added:
            models = dict(sorted(models.items()))
        aliases, alias_names = self._aliases_after(asked, alias_rows)
        return replace(self, models=models, timelines=kept_timelines, loaded_at=datetime.now(UTC), seq=seq,
                       offerings=self._offerings_after(models, [*asked, *present]), aliases=aliases,
                       alias_names=alias_names)

    def _aliases_after(
        self, asked: list[str], rows: Iterable[AliasRow]
    ) -> tuple[dict[str, tuple[AliasSpan, ...]], dict[str, frozenset[str]]]:
        # The asked offerings' aliases are replaced by `rows` (all of theirs, read again); others stay as they are.
        aliases, alias_names = dict(self.aliases), dict(self.alias_names)
        changed = set(asked)
        for model_id in changed:
            for name in alias_names.pop(model_id, ()):
                kept = tuple(span for span in aliases.get(name, ()) if span.model_id not in changed)
                if kept:
                    aliases[name] = kept
                else:
                    aliases.pop(name, None)
        fresh, names = _aliases_of(rows)
        for name, spans in fresh.items():
            aliases[name] = (*aliases.get(name, ()), *spans)
        alias_names.update(names)
        return aliases, alias_names

    def _offerings_after(self, models: dict[str, ModelInfo], changed: list[str]) -> dict[str, tuple[str, ...]]:
        # Only the changed models' parts are regrouped: a write costs its own offerings, not the catalog's.
        offerings = dict(self.offerings)
        for part in {model_part(model_id) for model_id in changed}:
            candidates = {*offerings.get(part, ()), *(m for m in changed if model_part(m) == part)}
            ids = tuple(sorted(m for m in candidates if m in models))
            if ids:
                offerings[part] = ids
            else:
                offerings.pop(part, None)
        return offerings


async def load_snapshot(session: AsyncSession, seq: int = 0) -> CatalogSnapshot:
    """Read every model, price, promotion, alias and project assumption. Run it in a REPEATABLE READ transaction
    for a consistent copy, and pass the change log's last sequence number read in that same transaction."""
    models, timelines = await load_timelines(session)
    aliases, alias_names = _aliases_of(await load_aliases(session))
    return CatalogSnapshot(models={m.id: _info(m) for m in models}, timelines=timelines,
                           loaded_at=datetime.now(UTC), seq=seq, aliases=aliases, alias_names=alias_names,
                           assumptions=await load_assumption_history(session))


async def snapshot_known_at(
    session: AsyncSession, snapshot: CatalogSnapshot, known_at: datetime, model_ids: Collection[str] | None = None
) -> CatalogSnapshot:
    """`snapshot` with the history and corrections of `model_ids` (default: every model) as the catalog recorded
    them at `known_at` (docs/history.md); names, aliases and the rest stay today's. Only those models can be priced
    on it: a request that names its models reads theirs, not the whole catalog's."""
    _, timelines = await load_timelines(session, model_ids, known_at=known_at)
    return replace(snapshot, timelines=timelines)


def model_part(model_id: str) -> str:
    """What was released: `x` of both `x` and `together/x`."""
    return model_id.rpartition("/")[2]


def _offerings_of(models: dict[str, ModelInfo]) -> dict[str, tuple[str, ...]]:
    grouped: defaultdict[str, list[str]] = defaultdict(list)
    for model_id in models:  # in id order, so each tuple is too
        grouped[model_part(model_id)].append(model_id)
    return {part: tuple(ids) for part, ids in grouped.items()}


def _aliases_of(rows: Iterable[AliasRow]) -> tuple[dict[str, tuple[AliasSpan, ...]], dict[str, frozenset[str]]]:
    spans: defaultdict[str, list[AliasSpan]] = defaultdict(list)
    names: defaultdict[str, set[str]] = defaultdict(set)
    for row in rows:
        spans[row.alias].append(AliasSpan(row.model_id, row.valid_from, row.valid_to, row.source))
        names[row.model_id].add(row.alias)
    return ({name: tuple(found) for name, found in spans.items()},
            {model_id: frozenset(found) for model_id, found in names.items()})


def _info(row: ModelRow) -> ModelInfo:
    return ModelInfo(row.id, row.provider_id, row.name, row.context_window, row.open_weights, row.released_on,
                     row.created_at, row.updated_at)
