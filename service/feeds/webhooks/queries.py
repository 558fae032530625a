"""Subscriptions, their delivery log and hand-made sends: plain query functions that never commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from msgspec import UNSET
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import not_found
from service.db.models import WebhookDeliveryRow, WebhookSubscriptionRow
from service.feeds.webhooks import schemas
from service.feeds.webhooks.secrets import SecretBox, new_secret
from service.feeds.webhooks.targets import check_target
from service.settings import WebhookSettings


async def log_end(session: AsyncSession) -> int:
    # Seqs commit in order (migration 0003), so every change after this one is still to come.
    return int(await session.scalar(text("SELECT coalesce(max(seq), 0) FROM catalog_changes")) or 0)


async def create(session: AsyncSession, owner: int, data: schemas.WebhookCreate, box: SecretBox,
                 settings: WebhookSettings) -> tuple[WebhookSubscriptionRow, str]:
    await check_target(data.url, settings.allow_private_targets)
    secret = new_secret()
    row = WebhookSubscriptionRow(
        owner_key_id=owner, url=data.url, description=data.description, event_types=data.event_types,
        providers=data.providers or None, models=data.models or None, secret_encrypted=box.seal(secret),
        delivered_seq=await log_end(session))  # changes from now on; redeliver reaches back
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row, secret


async def get(session: AsyncSession, owner: int, subscription_id: int, *,
              for_update: bool = False) -> WebhookSubscriptionRow:
    query = select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.id == subscription_id,
                                                 WebhookSubscriptionRow.owner_key_id == owner)
    row = await session.scalar(query.with_for_update() if for_update else query)
    if row is None:  # another key's subscription is not found either: ids leak nothing
        raise not_found("webhook", subscription_id)
    return row


async def list_for(session: AsyncSession, owner: int, after: int | None, limit: int) -> list[WebhookSubscriptionRow]:
    query = (select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.owner_key_id == owner)
             .order_by(WebhookSubscriptionRow.id).limit(limit + 1))
    if after is not None:
        query = query.where(WebhookSubscriptionRow.id > after)
    return list(await session.scalars(query))


async def change(session: AsyncSession, owner: int, subscription_id: int, data: schemas.WebhookChange,
                 settings: WebhookSettings) -> WebhookSubscriptionRow:
    row = await get(session, owner, subscription_id, for_update=True)
    if data.url is not UNSET:
        await check_target(data.url, settings.allow_private_targets)
        row.url = data.url
    if data.event_types is not UNSET:
        row.event_types = data.event_types
    if data.providers is not UNSET:
        row.providers = data.providers or None
    if data.models is not UNSET:
        row.models = data.models or None
    if data.description is not UNSET:
        row.description = data.description
    if data.enabled is not UNSET and data.enabled != row.enabled:
        row.enabled = data.enabled
        row.disabled_reason = None if data.enabled else "disabled by its owner"
        row.disabled_at = None if data.enabled else func.now()
        if data.enabled:  # a fresh start: the failure clock and the backoff begin again
            row.attempts, row.first_failed_at, row.failing_since, row.next_attempt_at = 0, None, None, func.now()
    row.updated_at = func.now()
    await session.flush()
    await session.refresh(row)
    return row


async def delete(session: AsyncSession, owner: int, subscription_id: int) -> None:
    await session.delete(await get(session, owner, subscription_id, for_update=True))
    await session.flush()


async def rotate(session: AsyncSession, owner: int, subscription_id: int, box: SecretBox,
                 overlap: float) -> tuple[str, datetime]:
    row = await get(session, owner, subscription_id, for_update=True)
    secret = new_secret()
    until = datetime.now(UTC) + timedelta(seconds=overlap)
    row.previous_secret_encrypted, row.previous_secret_until = row.secret_encrypted, until
    row.secret_encrypted, row.updated_at = box.seal(secret), func.now()
    await session.flush()
    return secret, until


async def deliveries(session: AsyncSession, owner: int, subscription_id: int, after: int | None,
                     limit: int) -> list[WebhookDeliveryRow]:
    await get(session, owner, subscription_id)
    query = (select(WebhookDeliveryRow).where(WebhookDeliveryRow.subscription_id == subscription_id)
             .order_by(WebhookDeliveryRow.id.desc()).limit(limit + 1))  # newest first
    if after is not None:
        query = query.where(WebhookDeliveryRow.id < after)
    return list(await session.scalars(query))


async def redeliver(session: AsyncSession, owner: int, subscription_id: int, data: schemas.Redeliver) -> None:
    row = await get(session, owner, subscription_id, for_update=True)
    if data.from_seq is not None:
        # Moving the cursor back: a deliverer in the middle of a send finds the cursor moved and leaves it.
        row.delivered_seq = data.from_seq - 1
        row.attempts, row.first_failed_at, row.next_attempt_at = 0, None, func.now()
        await session.flush()
        await wake_deliverers(session)
        return
    delivery = await session.scalar(select(WebhookDeliveryRow).where(
        WebhookDeliveryRow.id == data.delivery, WebhookDeliveryRow.subscription_id == subscription_id))
    if delivery is None:
        raise not_found("delivery", data.delivery)
    await enqueue_send(session, subscription_id, delivery.seq)


async def enqueue_send(session: AsyncSession, subscription_id: int, seq: int | None) -> None:
    """One send by hand (seq None: a ping), made before the subscription's next event."""
    await session.execute(text("INSERT INTO webhook_sends (subscription_id, seq) VALUES (:id, :seq)"),
                          {"id": subscription_id, "seq": seq})
    await session.execute(text("UPDATE webhook_subscriptions SET next_attempt_at = least(next_attempt_at, now()) "
                               "WHERE id = :id"), {"id": subscription_id})
    await wake_deliverers(session)


async def wake_deliverers(session: AsyncSession) -> None:
    # Delivered on commit, to every process's deliverers (service.feeds.webhooks.pool listens).
    await session.execute(text("SELECT pg_notify('webhooks_due', '')"))
