"""What project estimates work out once per catalog snapshot (it never changes): its offerings in order, and for
each offering at its price the group of offerings that cost the same, with its id's JSON.

A project over every offering prices thousands; the price's class (service.pricing.project.price_key), the retry key
and the id's JSON of an offering are the same on every request that sees the same price, so each request looks them
up by the offering's id instead of working them out again. Nothing here depends on a request beyond its retry keys
(the assumptions in force), and no answer is kept: every cost is priced anew.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

import msgspec

from service.pricing.project import price_key
from service.pricing.project_plans import RetryKeys
from service.pricing.timeline import EffectivePrice, ModelTimeline
from service.snapshot.catalog_snapshot import CatalogSnapshot


class Member(NamedTuple):
    """An offering at one of its prices, as a project estimate lists it."""

    name: str
    found: EffectivePrice
    group: int  # offerings of one group cost the same: one price class and one retry key (Groups.info)
    model_head: bytes  # `,{"model":…,"price_id":…` of its wire.ModelProjectOut, as project._models_out splices it
    plan_head: bytes  # `,{"plan":…` of its wire.PlanOut
    price_id: int  # found.period.id


class Listed(NamedTuple):
    """An offering of the snapshot, with what finds its price at an instant."""

    name: str
    provider: str
    timeline: ModelTimeline
    start: datetime | None  # a timeline of one stretch (ModelTimeline.single): its start, else None
    price: EffectivePrice | None  # and its price, the price at every instant from `start` on


def _listed(name: str, provider: str, timeline: ModelTimeline) -> Listed:
    single = timeline.single
    return Listed(name, provider, timeline, *(single or (None, None)))


class Groups:
    """The offerings' groups under one set of retry keys: each offering's Member at the price last seen for it."""

    def __init__(self, prices: _PriceClasses, keys: Collection[str], lock: threading.Lock) -> None:
        self._prices, self._keys, self._lock = prices, RetryKeys(keys), lock
        self.of: dict[str, Member] = {}
        self.info: list[tuple[int, str]] = []  # by group: its price class and retry key
        self._ids: dict[tuple[int, str], int] = {}

    def member(self, name: str, found: EffectivePrice) -> Member:
        """The offering `name` at `found` (a price of the snapshot's, which keeps it alive)."""
        entry = self.of.get(name)
        if entry is not None and entry.found is found:
            return entry
        with self._lock:  # requests in threads may meet here: a class's or a group's number is given once
            key = (self._prices.class_of(found), self._keys.key_for(name))
            group = self._ids.get(key)
            if group is None:
                group = len(self.info)
                self.info.append(key)
                self._ids[key] = group
            encoded = _encode(name)
            price_id = found.period.id
            entry = self.of[name] = Member(name, found, group, b',{"model":%b,"price_id":%d' % (encoded, price_id),
                                           b',{"plan":%b' % encoded, price_id)
        return entry


class _PriceClasses:
    """A number for each distinct price_key: prices of one class give a session the same cost."""

    def __init__(self) -> None:
        self._classes: dict[object, int] = {}
        self._of: dict[int, tuple[EffectivePrice, int]] = {}  # by id(price), kept alive beside its class

    def class_of(self, found: EffectivePrice) -> int:
        entry = self._of.get(id(found))
        if entry is None or entry[0] is not found:
            entry = self._of[id(found)] = (found, self._classes.setdefault(price_key(found), len(self._classes)))
        return entry[1]


class SnapshotOfferings:
    def __init__(self, snapshot: CatalogSnapshot) -> None:
        self._snapshot = snapshot
        self._listed: list[Listed] | None = None
        self._prices = _PriceClasses()
        self._groups: dict[frozenset[str], Groups] = {}
        self._lock = threading.Lock()  # for what is added to the groups and the price classes

    def listed(self) -> list[Listed]:
        """Every offering, in the snapshot's order (the order of `unpriced`). Made when first asked for: a snapshot
        cut to the timelines that a repriced quote reads has only those."""
        if self._listed is None:
            timelines = self._snapshot.timelines
            self._listed = [_listed(name, info.provider, timelines[name])
                            for name, info in self._snapshot.models.items()]
        return self._listed

    def groups(self, retry_keys: Collection[str]) -> Groups:
        keys = frozenset(retry_keys)
        found = self._groups.get(keys)
        if found is None:
            with self._lock:
                found = self._groups.setdefault(keys, Groups(self._prices, keys, self._lock))
        return found


def offerings_of(snapshot: CatalogSnapshot) -> SnapshotOfferings:
    """The snapshot's SnapshotOfferings, made on the first project estimate over it."""
    found = snapshot.derived.get(SnapshotOfferings)
    if found is None:
        found = snapshot.derived.setdefault(SnapshotOfferings, SnapshotOfferings(snapshot))
    assert isinstance(found, SnapshotOfferings)
    return found


_encode = msgspec.json.Encoder().encode
