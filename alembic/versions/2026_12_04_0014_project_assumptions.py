"""Project assumptions: tooling profiles, project sizes, retry factors and self-host profiles, as catalog data.

Each assumption is a (kind, key) whose figures change over valid time like a price: a new version is inserted,
never written over; the open period of the previous one is closed at the new one's start, and the one change a
stored row takes is that closing. Every row carries its `source` and whether it is the article's figure or an
assumption of ours (`assumed`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A key is a slug, or an offering id (`together/x`), or for retry factors a family prefix ending in `*`.
KEY = r"'^[a-z0-9][a-z0-9._-]{0,99}(/[a-z0-9][a-z0-9._-]{0,99})?\*?$'"
# Figures hold decimals as strings: none of them may be a NaN or an infinity, whatever wrote the row.
NOT_A_NUMBER = r"""'"[+-]?s?nan"|"[+-]?inf(inity)?"'"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(f"""
        CREATE TABLE assumptions (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('tooling', 'project-size', 'retry-factor', 'self-host')),
            key text NOT NULL CHECK (key ~ {KEY} AND length(key) <= 202),
            version integer NOT NULL CHECK (version >= 1),
            figures jsonb NOT NULL CHECK (jsonb_typeof(figures) = 'object' AND figures::text !~* {NOT_A_NUMBER}),
            assumed boolean NOT NULL,
            source text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
            valid_from timestamptz NOT NULL CHECK (isfinite(valid_from)),
            valid_to timestamptz CHECK (isfinite(valid_to)),
            recorded_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT assumptions_one_version UNIQUE (kind, key, version),
            CONSTRAINT assumptions_period_not_empty CHECK (NOT isempty(tstzrange(valid_from, valid_to, '[)'))),
            CONSTRAINT assumptions_no_overlap EXCLUDE USING gist (
                kind WITH =, key WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&)
        )""")
    op.execute("""
        CREATE FUNCTION assumptions_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW(NEW.id, NEW.kind, NEW.key, NEW.version, NEW.figures, NEW.assumed, NEW.source,
                       NEW.valid_from, NEW.recorded_at)
                   IS NOT DISTINCT FROM
                   ROW(OLD.id, OLD.kind, OLD.key, OLD.version, OLD.figures, OLD.assumed, OLD.source,
                       OLD.valid_from, OLD.recorded_at)
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'assumption history only grows: % can only have its open period closed', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    # A project estimate can be quoted like the others.
    op.execute("ALTER TABLE quotes DROP CONSTRAINT quotes_kind_check")
    op.execute("ALTER TABLE quotes ADD CONSTRAINT quotes_kind_check CHECK (kind IN "
               "('estimate', 'batch', 'compare', 'monthly', 'self-host', 'project'))")
    op.execute("""
        CREATE TRIGGER assumptions_only_grow BEFORE UPDATE OR DELETE ON assumptions
        FOR EACH ROW EXECUTE FUNCTION assumptions_only_grow()""")


def downgrade() -> None:
    op.execute("DELETE FROM quotes WHERE kind = 'project'")
    op.execute("ALTER TABLE quotes DROP CONSTRAINT quotes_kind_check")
    op.execute("ALTER TABLE quotes ADD CONSTRAINT quotes_kind_check CHECK (kind IN "
               "('estimate', 'batch', 'compare', 'monthly', 'self-host'))")
    op.execute("DROP TABLE assumptions")
    op.execute("DROP FUNCTION assumptions_only_grow()")
