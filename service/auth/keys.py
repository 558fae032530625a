"""API keys: made once, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import ApiKeyRow

SCOPES = ("catalog:write", "catalog:correct", "feeds:read", "webhooks:manage")
# A recognisable prefix lets secret scanners and humans tell our keys from other tokens.
KEY_PREFIX = "pk_"
_SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6


def hash_secret(secret: str) -> bytes:
    # A fast hash is enough: keys carry 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).digest()


async def create_key(session: AsyncSession, name: str, scopes: list[str]) -> tuple[ApiKeyRow, str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKeyRow(name=name, prefix=secret[:_SHOWN_PREFIX_LENGTH], secret_hash=hash_secret(secret),
                 scopes=sorted(set(scopes)))
    session.add(key)
    await session.flush()
    await session.refresh(key)
    return key, secret


async def list_keys(session: AsyncSession) -> list[ApiKeyRow]:
    return list(await session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))


async def revoke_key(session: AsyncSession, key_id: int) -> ApiKeyRow | None:
    key = await session.get(ApiKeyRow, key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await session.flush()
    return key


async def find_active_key(session: AsyncSession, secret: str) -> ApiKeyRow | None:
    if not secret.startswith(KEY_PREFIX):
        return None
    digest = hash_secret(secret)
    key = await session.scalar(select(ApiKeyRow).where(ApiKeyRow.secret_hash == digest))
    # The index lookup already matched; compare_digest keeps the final check constant-time all the same.
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    return key
