"""Assumption changes reach the snapshot keeper; anonymous quotes carry the instant they expire.

Every committed insert or closing on `assumptions` sends NOTIFY catalog_changed, as a price does: each process
keeps the assumptions beside its catalog snapshot, so a project estimate makes no query. Assumptions stay out of
the change log (the feeds and webhooks describe prices), so the keeper tells by the table's stamp whether they
moved.

A quote stored by an anonymous caller expires (`QUOTE_ANONYMOUS_RETENTION`); a keyed caller's has no `expires_at`
and is kept. Its bytes still never change; an expired quote is the one row that may be deleted (the sweep does).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TRIGGER assumptions_notify_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON assumptions
        FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed()""")
    op.execute("ALTER TABLE quotes ADD COLUMN expires_at timestamptz CHECK (isfinite(expires_at))")
    op.execute("CREATE INDEX quotes_expiring ON quotes (expires_at) WHERE expires_at IS NOT NULL")
    op.execute("""
        CREATE OR REPLACE FUNCTION quotes_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND OLD.expires_at IS NOT NULL AND OLD.expires_at <= now() THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'quote % is immutable', OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END $$""")


def downgrade() -> None:
    op.execute("""
        CREATE OR REPLACE FUNCTION quotes_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'quote % is immutable', OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    op.execute("DROP INDEX quotes_expiring")
    op.execute("ALTER TABLE quotes DROP COLUMN expires_at")
    op.execute("DROP TRIGGER assumptions_notify_catalog_changed ON assumptions")
