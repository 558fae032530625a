"""Every stored version of the project assumptions, in process beside the catalog snapshot: a project estimate
finds the ones in force at its instant without a query.

The table is small (tens of rows) and its history only grows: a row is inserted, and the one change it may take
is the closing of its open period. So it is read whole, and read again only when its stamp (rows, closed rows,
last id) moves; between two boundaries of any version's period the set in force is the same, so it is found by
bisection and what a caller derives from it is kept with it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import AssumptionRow


@dataclass(frozen=True, slots=True)
class AssumptionRecord:
    """One stored version, detached from any session."""

    id: int
    kind: str
    key: str
    version: int
    figures: dict[str, object]
    assumed: bool
    source: str
    valid_from: datetime
    valid_to: datetime | None
    recorded_at: datetime

    def covers(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


class AssumptionStamp(NamedTuple):
    """Moves with every committed change: an insert adds a row (and an id), a closing closes a row; nothing is
    deleted or otherwise changed (the table's trigger refuses it)."""

    rows: int
    closed: int
    last_id: int


@dataclass(slots=True)
class InForce:
    """The versions in force over one stretch of time, in id order, and what callers derived from them (their
    typed figures), made once per stretch rather than once per request."""

    rows: tuple[AssumptionRecord, ...]
    derived: dict[str, object] = field(default_factory=dict)


NO_ASSUMPTIONS = AssumptionStamp(0, 0, 0)


class AssumptionHistory:
    """Immutable once made, like the snapshot; a change makes a new one."""

    def __init__(self, records: Iterable[AssumptionRecord] = (), stamp: AssumptionStamp = NO_ASSUMPTIONS) -> None:
        self.records = tuple(sorted(records, key=lambda record: record.id))
        self.stamp = stamp
        bounds = {record.valid_from for record in self.records}
        bounds.update(record.valid_to for record in self.records if record.valid_to is not None)
        self._bounds = sorted(bounds)
        self._stretches: dict[int, InForce] = {}

    def at(self, at: datetime) -> InForce:
        stretch = bisect_right(self._bounds, at)  # 0: before every boundary
        found = self._stretches.get(stretch)
        if found is None:
            found = self._stretches[stretch] = InForce(tuple(r for r in self.records if r.covers(at)))
        return found


async def assumption_stamp(session: AsyncSession) -> AssumptionStamp:
    rows, closed, last_id = (await session.execute(select(
        func.count(), func.count(AssumptionRow.valid_to), func.coalesce(func.max(AssumptionRow.id), 0)))).one()
    return AssumptionStamp(rows, closed, last_id)


async def load_assumption_history(session: AsyncSession) -> AssumptionHistory:
    """Every version; run it in the snapshot's REPEATABLE READ transaction so the stamp matches the rows."""
    stamp = await assumption_stamp(session)
    table = AssumptionRow.__table__
    rows = (await session.execute(select(table))).all()
    return AssumptionHistory((AssumptionRecord(
        id=row.id, kind=row.kind, key=row.key, version=row.version, figures=row.figures, assumed=row.assumed,
        source=row.source, valid_from=row.valid_from, valid_to=row.valid_to, recorded_at=row.recorded_at)
        for row in rows), stamp)
