"""The deliverers: each takes one due subscription at a time and sends its events in seq order.

A subscription is held with a session-level advisory lock on the deliverer's own connection, so exactly one
deliverer in any process sends to it; a killed process's connection closes, PostgreSQL drops its lock, and the
next deliverer starts again from the stored cursor. The cursor moves only after the receiver answered 2xx (or
the event was given up), so a kill mid-send delivers that event again after the restart: at least once, never
not at all. The cursor is moved only from the value it was read at, so a redelivery that moved it back wins.

Why not a job queue (procrastinate): the change log is already an ordered, durable queue, and one cursor per
subscription is its whole state. A job per event copies every change once per subscription: measured by
bench.webhooks_job_queue, a burst of 1,000 changes to 100 subscriptions is 100,000 jobs, 4 to 6 s of writes
(23 MB) in the database the catalog writes go to, against 1,000 outbox rows in ~10 ms, and procrastinate's
fetch-and-finish took ~7 ms a job on the database side alone (docs/webhooks.md). That copy is what the outbox
spares.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from service.db.models import WebhookSubscriptionRow
from service.feeds.webhooks import events, sender, store
from service.feeds.webhooks.backoff import next_delay
from service.feeds.webhooks.secrets import SecretBox, signature_header
from service.settings import WebhookSettings

log = logging.getLogger("service.webhooks")

LOCK_CLASS = 0x7768  # the first key of the two-key advisory lock: "wh"
EVENTS_PER_TURN = 200  # then the subscription goes back in line, so one busy partner cannot starve the rest

_DUE = text("""
    SELECT s.id FROM webhook_subscriptions s
    WHERE s.enabled AND s.next_attempt_at <= now()
      AND (s.delivered_seq < (SELECT coalesce(max(seq), 0) FROM catalog_changes)
           OR EXISTS (SELECT 1 FROM webhook_sends w WHERE w.subscription_id = s.id))
    ORDER BY s.next_attempt_at, s.id LIMIT 32""")


class Deliverer:
    """One delivery loop; a process runs a few (WEBHOOKS_DELIVERERS), each on its own connection."""

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], settings: WebhookSettings,
                 client: httpx.AsyncClient, counters: dict[str, int] | None = None) -> None:
        if not settings.encryption_key:
            raise ValueError("webhook delivery needs WEBHOOKS_ENCRYPTION_KEY")
        self.engine, self.sessions, self.settings, self.client = engine, sessions, settings, client
        self.box = SecretBox(settings.encryption_key)
        self.counters = counters if counters is not None else {}
        # Set on every commit of a change (LISTEN, service.feeds.webhooks.pool): the poll is only the fallback.
        self.wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()  # before the work: a commit landing during it makes the wait below return at once
            try:
                worked = await self.work_once()
            except Exception:  # the database away, say: wait and try again, never die
                log.exception("webhook deliverer failed; retrying")
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.settings.poll_interval)

    async def work_once(self) -> bool:
        """Deliver to one due subscription that no other deliverer holds; False when there was none."""
        async with self.engine.connect() as connection:
            lock_conn = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for (subscription_id,) in (await lock_conn.execute(_DUE)).all():
                if await _try_lock(lock_conn, subscription_id):
                    try:
                        await self.drain(subscription_id)
                    finally:
                        await lock_conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"),
                                                {"c": LOCK_CLASS, "k": subscription_id})
                    return True
        return False

    async def drain(self, subscription_id: int) -> None:
        """Send the subscription's hand-made sends, then its events in seq order, while they succeed."""
        sent = 0
        changes: list[events.LoggedChange] = []
        while sent < EVENTS_PER_TURN:
            async with self.sessions() as session:
                sub = await session.get(WebhookSubscriptionRow, subscription_id)
            if sub is None or not sub.enabled or sub.next_attempt_at > datetime.now(UTC):
                return
            if await self._hand_made_send(sub):
                sent += 1
                continue
            changes = [c for c in changes if c.seq > sub.delivered_seq]
            if not changes:
                async with self.sessions() as session:
                    changes = await store.changes_after(session, sub.delivered_seq, 100)
                if not changes:
                    return
            wanted = next((c for c in changes if events.wanted(c, sub.event_types, sub.providers, sub.models)), None)
            if wanted is None:  # nothing here is for this subscription: the cursor moves past it all
                await store.move_cursor(self.sessions, sub.id, sub.delivered_seq, changes[-1].seq)
                changes = []
                continue
            if not await self._deliver_event(sub, wanted):
                return
            sent += 1

    async def _deliver_event(self, sub: WebhookSubscriptionRow, change: events.LoggedChange) -> bool:
        log = await self._send(sub, events.message_id(sub.id, change.seq), change.event_type, change.seq,
                               events.payload(change), sub.attempts + 1)
        attempt, now = log.attempt, datetime.now(UTC)
        if attempt.succeeded:
            await store.succeeded(self.sessions, sub.id, sub.delivered_seq, change.seq, now, log)
            return True
        if attempt.gone:
            await store.disable(self.sessions, sub.id, "the target answered 410 Gone", now, log)
            return False
        failing_since = sub.failing_since or now
        first_failed = sub.first_failed_at or now
        if (now - failing_since).total_seconds() >= self.settings.disable_after:
            await store.disable(self.sessions, sub.id, f"failing since {failing_since.isoformat()}", now, log)
        elif (now - first_failed).total_seconds() >= self.settings.retry_for:
            # Given up: the next event goes out; the log keeps this one's attempts, and redeliver can resend it.
            await store.given_up(self.sessions, sub.id, sub.delivered_seq, change.seq, failing_since, log)
            return True
        else:
            delay = next_delay(sub.attempts + 1, self.settings.backoff_base, self.settings.backoff_max)
            await store.failed(self.sessions, sub.id, first_failed, failing_since, now + timedelta(seconds=delay),
                               log)
        return False

    async def _hand_made_send(self, sub: WebhookSubscriptionRow) -> bool:
        """A ping or one redelivery, sent once (its attempt is logged); False when none waits."""
        async with self.sessions() as session:
            found = await store.next_send(session, sub.id)
        if found is None:
            return False
        send_id, seq = found
        now = datetime.now(UTC)
        change = None
        if seq is not None:
            async with self.sessions() as session:
                change = next(iter(await store.changes_after(session, seq - 1, 1)), None)
        if change is not None and change.seq == seq:
            log = await self._send(sub, events.message_id(sub.id, seq), change.event_type, seq,
                                   events.payload(change), 1)
        else:
            log = await self._send(sub, f"msg_{sub.id}_ping_{send_id}", events.PING, None,
                                   events.ping_payload(sub.id, now), 1)
        await store.drop_send(self.sessions, send_id, log)
        return True

    async def _send(self, sub: WebhookSubscriptionRow, message_id: str, event_type: str, seq: int | None,
                    body: bytes, attempt_number: int) -> store.LogEntry:
        now = datetime.now(UTC)
        headers = {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": signature_header(self._secrets(sub, now), message_id, now, body)}
        attempt = await sender.send(self.client, sub.url, headers, body, seconds=self.settings.timeout,
                                    allow_private=self.settings.allow_private_targets)
        outcome = "succeeded" if attempt.succeeded else attempt.error or "failed"
        self.counters[outcome] = self.counters.get(outcome, 0) + 1
        return store.LogEntry(sub.id, message_id, event_type, seq, attempt_number, now, attempt)

    def _secrets(self, sub: WebhookSubscriptionRow, now: datetime) -> list[str]:
        keys = [self.box.open(sub.secret_encrypted)]
        if sub.previous_secret_encrypted and sub.previous_secret_until and now < sub.previous_secret_until:
            keys.append(self.box.open(sub.previous_secret_encrypted))  # a rotation's overlap: both signatures
        return keys


async def _try_lock(connection: AsyncConnection, subscription_id: int) -> bool:
    locked: Any = await connection.scalar(text("SELECT pg_try_advisory_lock(:c, :k)"),
                                          {"c": LOCK_CLASS, "k": subscription_id})
    return bool(locked)
