"""What the snapshot keeper reads of the catalog's change log: which models changed after a sequence number.

The log's sequence numbers follow commit order without gaps (see the migration that made it), so the changes
after the snapshot's `seq` are exactly what the snapshot lacks.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The model a logged row belongs to: a model's own id, or the model_id of a price or a promotion. Provider rows
# name none; the snapshot holds nothing of a provider but its id, which a model row carries.
_CHANGES = text("""
    SELECT seq, CASE WHEN kind LIKE 'model.%' THEN object ->> 'id' ELSE object ->> 'model_id' END
    FROM catalog_changes WHERE seq > :after ORDER BY seq LIMIT :limit""")


class Changes(NamedTuple):
    seq: int  # the last change read
    model_ids: frozenset[str]  # models whose row, prices or promotions changed
    contiguous: bool  # False: the log does not go on from `after` (a gap, or a database restored from a backup)
    complete: bool  # False: more than `limit` changes; a full reload is cheaper than applying them one by one


async def latest_seq(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT last_seq FROM change_counter")) or 0)


async def changes_after(session: AsyncSession, after: int, limit: int) -> Changes:
    rows = (await session.execute(_CHANGES, {"after": after, "limit": limit + 1})).all()
    seqs = [seq for seq, _ in rows]
    contiguous = seqs == list(range(after + 1, after + 1 + len(seqs)))
    if not rows and await latest_seq(session) < after:
        contiguous = False  # the log is shorter than what we hold: not the database we loaded from
    return Changes(seq=seqs[-1] if seqs else after, model_ids=frozenset(m for _, m in rows if m is not None),
                   contiguous=contiguous, complete=len(rows) <= limit)
