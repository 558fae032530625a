"""Idempotency keys: the first response to a POST, replayed for a retry with the same key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE idempotency_keys (
            principal bytea NOT NULL,
            key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
            request_hash bytea NOT NULL,
            status integer,
            headers jsonb,
            body bytea,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (principal, key)
        )""")
    op.execute("CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)")


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")
