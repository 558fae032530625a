"""Webhook subscriptions, each with its own cursor into the change log, and the log of delivery attempts.

A subscription is its own queue: `delivered_seq` says that every change up to it was delivered or given up, so
the next event to send is the first matching change after it, read from catalog_changes (the outbox the catalog
writes fill in their own transactions). Nothing is copied per event, and a change committed while no deliverer
runs is simply read later. Sends asked for by hand (a ping, one redelivery) wait in webhook_sends.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE webhook_subscriptions (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            owner_key_id bigint NOT NULL REFERENCES api_keys (id),
            url text NOT NULL CHECK (length(url) <= 2000),
            description text NOT NULL DEFAULT '',
            event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
            providers text[],
            models text[],
            -- Secrets are encrypted with a key from the environment: a dump of this table cannot sign.
            secret_encrypted bytea NOT NULL,
            previous_secret_encrypted bytea,
            previous_secret_until timestamptz,
            enabled boolean NOT NULL DEFAULT true,
            disabled_reason text,
            disabled_at timestamptz,
            delivered_seq bigint NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            first_failed_at timestamptz,
            failing_since timestamptz,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            last_success_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""")
    # The deliverers' question, "which enabled subscriptions are due", by one index.
    op.execute("CREATE INDEX webhook_subscriptions_due ON webhook_subscriptions (next_attempt_at) WHERE enabled")
    op.execute("CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions (owner_key_id, id)")
    op.execute("""
        CREATE TABLE webhook_sends (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subscription_id bigint NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
            seq bigint,  -- null: a ping
            created_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX webhook_sends_subscription ON webhook_sends (subscription_id, id)")
    op.execute("""
        CREATE TABLE webhook_deliveries (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subscription_id bigint NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
            message_id text NOT NULL,
            event_type text NOT NULL,
            seq bigint,
            attempt integer NOT NULL,
            attempted_at timestamptz NOT NULL,
            succeeded boolean NOT NULL,
            status_code integer,
            duration_ms integer NOT NULL,
            error text,
            response_excerpt text
        )""")
    op.execute("CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id)")


def downgrade() -> None:
    op.execute("DROP TABLE webhook_deliveries")
    op.execute("DROP TABLE webhook_sends")
    op.execute("DROP TABLE webhook_subscriptions")
