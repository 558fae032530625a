"""The append-only log of catalog changes behind GET /v1/feeds/changes.

Triggers write one entry per changed row in the same transaction as the change. Each entry's seq comes from a
one-row counter that is incremented under its row lock, held until commit: a writer that takes the next
number waits for the previous writer to commit or roll back. So seq order is commit order, a rolled-back
change leaves no gap, and a reader that sees seq N has already been able to see every seq below it. Reading
`seq > cursor` is then exactly-once, which it would not be with a plain sequence (a later number can commit
before an earlier one).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOGGED = {"providers": "provider", "models": "model", "prices": "price", "promotions": "promotion"}
BACKFILL_ORDER = {"providers": "created_at, id", "models": "created_at, id", "prices": "recorded_at, id",
                  "promotions": "created_at, id"}


def upgrade() -> None:
    op.execute("""
        CREATE TABLE change_counter (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            last_seq bigint NOT NULL
        )""")
    op.execute("INSERT INTO change_counter (last_seq) VALUES (0)")
    op.execute("""
        CREATE TABLE catalog_changes (
            seq bigint PRIMARY KEY,
            kind text NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            object jsonb NOT NULL
        )""")
    op.execute("""
        CREATE FUNCTION log_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            next_seq bigint;
        BEGIN
            UPDATE change_counter SET last_seq = last_seq + 1 RETURNING last_seq INTO next_seq;
            INSERT INTO catalog_changes (seq, kind, object) VALUES (
                next_seq,
                TG_ARGV[0] || '.' || CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated'
                                                ELSE 'deleted' END,
                to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END));
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE FUNCTION catalog_changes_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the change log only grows' USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    op.execute("""
        CREATE TRIGGER catalog_changes_only_grow BEFORE UPDATE OR DELETE ON catalog_changes
        FOR EACH ROW EXECUTE FUNCTION catalog_changes_only_grow()""")
    # A catalog that existed before this migration enters the log as created, in dependency order.
    for table, kind in LOGGED.items():
        op.execute(f"""
            INSERT INTO catalog_changes (seq, kind, object)
            SELECT (SELECT last_seq FROM change_counter) + row_number() OVER (ORDER BY {BACKFILL_ORDER[table]}),
                   '{kind}.created', to_jsonb(x)
            FROM {table} x""")
        op.execute("UPDATE change_counter SET last_seq = (SELECT coalesce(max(seq), 0) FROM catalog_changes)")
        op.execute(f"""
            CREATE TRIGGER {table}_log_change AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION log_catalog_change('{kind}')""")


def downgrade() -> None:
    for table in LOGGED:
        op.execute(f"DROP TRIGGER {table}_log_change ON {table}")
    op.execute("DROP TABLE catalog_changes")
    op.execute("DROP FUNCTION catalog_changes_only_grow()")
    op.execute("DROP FUNCTION log_catalog_change()")
    op.execute("DROP TABLE change_counter")
