"""Catalog change notifications for the in-process snapshots, and immutable quotes.

Every committed change to providers, models, prices or promotions sends NOTIFY catalog_changed, which
PostgreSQL delivers at commit, so every worker of every instance reloads its snapshot. A quote stores the
exact response bytes it was answered with, and can never be changed or deleted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATALOG_TABLES = ("providers", "models", "prices", "promotions")


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('catalog_changed', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    for table in CATALOG_TABLES:
        # Statement-level: one notification per statement, and PostgreSQL folds duplicates within a transaction.
        op.execute(f"""
            CREATE TRIGGER {table}_notify_catalog_changed
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed()""")
    op.execute("""
        CREATE TABLE quotes (
            id text PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('estimate', 'batch', 'compare', 'monthly', 'self-host')),
            request jsonb NOT NULL,
            response bytea NOT NULL,
            price_ids bigint[] NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("""
        CREATE FUNCTION quotes_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'quote % is immutable', OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    op.execute("""
        CREATE TRIGGER quotes_are_immutable BEFORE UPDATE OR DELETE ON quotes
        FOR EACH ROW EXECUTE FUNCTION quotes_are_immutable()""")


def downgrade() -> None:
    op.execute("DROP TABLE quotes")
    op.execute("DROP FUNCTION quotes_are_immutable()")
    for table in CATALOG_TABLES:
        op.execute(f"DROP TRIGGER {table}_notify_catalog_changed ON {table}")
    op.execute("DROP FUNCTION notify_catalog_changed()")
