"""What the deliverers read and write: the change log after a cursor, the cursor itself, and the delivery log.

Each write is its own short transaction: nothing is held open while a receiver is being waited for. A cursor
moves only from the value the deliverer read (`expected`), so a redelivery that moved it back meanwhile wins.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.feeds.changes import api_object
from service.feeds.webhooks.events import LoggedChange
from service.feeds.webhooks.sender import Attempt

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
Sessions = async_sessionmaker[AsyncSession]

# The provider and model each change concerns, for the subscriptions' filters: a price or promotion names its
# model, whose row names its provider (a deleted model's provider is then unknown, and matches no filter).
_CHANGES = text("""
    SELECT c.seq, c.kind, c.recorded_at, c.object::text,
           coalesce(c.object->>'provider_id', m.provider_id,
                    CASE WHEN c.kind LIKE 'provider.%' THEN c.object->>'id' END) AS provider,
           coalesce(c.object->>'model_id', CASE WHEN c.kind LIKE 'model.%' THEN c.object->>'id' END) AS model
    FROM catalog_changes c LEFT JOIN models m ON m.id = c.object->>'model_id'
    WHERE c.seq > :after ORDER BY c.seq LIMIT :limit""")


async def changes_after(session: AsyncSession, after: int, limit: int) -> list[LoggedChange]:
    rows = await session.execute(_CHANGES, {"after": after, "limit": limit})
    return [LoggedChange(seq, kind, at, api_object(_DECODER.decode(obj)), provider, model)
            for seq, kind, at, obj, provider, model in rows]


class LogEntry(NamedTuple):
    """One attempt for the delivery log, written in the same transaction as what the attempt changed."""

    sub_id: int
    message_id: str
    event_type: str
    seq: int | None
    attempt_number: int
    at: datetime
    attempt: Attempt


_LOG = text("""
    INSERT INTO webhook_deliveries (subscription_id, message_id, event_type, seq, attempt, attempted_at,
                                    succeeded, status_code, duration_ms, error, response_excerpt)
    VALUES (:sub, :message_id, :event_type, :seq, :attempt, :at, :succeeded, :status, :duration, :error,
            :excerpt)""")


async def _write(sessions: Sessions, sql: str, log: LogEntry | None = None, **values: object) -> None:
    async with sessions() as session, session.begin():
        # Not waiting for the WAL flush: a cursor or log entry lost to a database crash only means an event is
        # sent again (at least once holds), and waiting for the flush twice per event cut delivery to ~30/s.
        await session.execute(text("SET LOCAL synchronous_commit = off"))
        if log is not None:
            attempt = log.attempt
            await session.execute(_LOG, {
                "sub": log.sub_id, "message_id": log.message_id, "event_type": log.event_type, "seq": log.seq,
                "attempt": log.attempt_number, "at": log.at, "succeeded": attempt.succeeded,
                "status": attempt.status_code, "duration": attempt.duration_ms, "error": attempt.error,
                "excerpt": attempt.excerpt})
        await session.execute(text(sql), values)


async def move_cursor(sessions: Sessions, sub_id: int, expected: int, seq: int) -> None:
    await _write(sessions, "UPDATE webhook_subscriptions SET delivered_seq = :seq "
                           "WHERE id = :id AND delivered_seq = :expected", id=sub_id, expected=expected, seq=seq)


async def succeeded(sessions: Sessions, sub_id: int, expected: int, seq: int, now: datetime,
                    log: LogEntry) -> None:
    await _write(sessions, """
        UPDATE webhook_subscriptions SET delivered_seq = :seq, attempts = 0, first_failed_at = NULL,
               failing_since = NULL, last_success_at = :now, next_attempt_at = :now
        WHERE id = :id AND delivered_seq = :expected""", log, id=sub_id, expected=expected, seq=seq, now=now)


async def given_up(sessions: Sessions, sub_id: int, expected: int, seq: int, failing_since: datetime,
                   log: LogEntry) -> None:
    await _write(sessions, """
        UPDATE webhook_subscriptions SET delivered_seq = :seq, attempts = 0, first_failed_at = NULL,
               failing_since = :failing_since, next_attempt_at = now()
        WHERE id = :id AND delivered_seq = :expected""",
                 log, id=sub_id, expected=expected, seq=seq, failing_since=failing_since)


async def failed(sessions: Sessions, sub_id: int, first_failed: datetime, failing_since: datetime,
                 retry_at: datetime, log: LogEntry) -> None:
    await _write(sessions, """
        UPDATE webhook_subscriptions SET attempts = attempts + 1, first_failed_at = :first_failed,
               failing_since = :failing_since, next_attempt_at = :retry_at WHERE id = :id""",
                 log, id=sub_id, first_failed=first_failed, failing_since=failing_since, retry_at=retry_at)


async def disable(sessions: Sessions, sub_id: int, reason: str, now: datetime, log: LogEntry) -> None:
    await _write(sessions, "UPDATE webhook_subscriptions SET enabled = false, disabled_reason = :reason, "
                           "disabled_at = :now WHERE id = :id", log, id=sub_id, reason=reason, now=now)


async def next_send(session: AsyncSession, sub_id: int) -> tuple[int, int | None] | None:
    row = (await session.execute(text("SELECT id, seq FROM webhook_sends WHERE subscription_id = :id "
                                      "ORDER BY id LIMIT 1"), {"id": sub_id})).first()
    return None if row is None else (row[0], row[1])


async def drop_send(sessions: Sessions, send_id: int, log: LogEntry) -> None:
    await _write(sessions, "DELETE FROM webhook_sends WHERE id = :id", log, id=send_id)


async def subscription_states(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(text("SELECT enabled, count(*) FROM webhook_subscriptions GROUP BY enabled"))
    counts = {"enabled": 0, "disabled": 0}
    for enabled, count in rows:
        counts["enabled" if enabled else "disabled"] = count
    return counts
