"""Aliases: other names for an offering (dated snapshots, provider spellings, LiteLLM keys, old names).

An alias names one offering over a period, with the period's history kept like a price's: rows are inserted and
only ever closed. One name may name several offerings at once (a LiteLLM key that two providers answer to):
resolving it then is a 409 that lists them, never a pick. The change log records alias rows like price rows,
under their offering, so the snapshot keeper re-reads that offering's aliases.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Foreign spellings keep their case and punctuation: `bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0`,
# `together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo`. No whitespace, nothing invisible.
ALIAS = r"'^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$'"  # PostgreSQL's regular expressions count at most to 255


def upgrade() -> None:
    op.execute(f"""
        CREATE TABLE aliases (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            alias text NOT NULL CHECK (alias ~ {ALIAS} AND length(alias) <= 300),
            model_id text NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
            valid_from timestamptz NOT NULL CHECK (isfinite(valid_from)),
            valid_to timestamptz CHECK (isfinite(valid_to)),
            source text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
            recorded_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT aliases_period_not_empty CHECK (NOT isempty(tstzrange(valid_from, valid_to, '[)'))),
            CONSTRAINT aliases_no_overlap EXCLUDE USING gist (
                alias WITH =, model_id WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&)
        )""")
    op.execute("CREATE INDEX aliases_of_a_model ON aliases (model_id, id)")
    op.execute("""
        CREATE FUNCTION aliases_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW(NEW.id, NEW.alias, NEW.model_id, NEW.valid_from, NEW.source, NEW.recorded_at)
                   IS NOT DISTINCT FROM
                   ROW(OLD.id, OLD.alias, OLD.model_id, OLD.valid_from, OLD.source, OLD.recorded_at)
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'alias history only grows: alias % can only have its open period closed', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    op.execute("""
        CREATE TRIGGER aliases_only_grow BEFORE UPDATE OR DELETE ON aliases
        FOR EACH ROW EXECUTE FUNCTION aliases_only_grow()""")
    # Logged as 0010 logs the other catalog tables: once per statement, from its transition table.
    for suffix, event, rows in (("log_change", "INSERT", "NEW"), ("log_update", "UPDATE", "NEW"),
                                ("log_delete", "DELETE", "OLD")):
        op.execute(f"""
            CREATE TRIGGER aliases_{suffix} AFTER {event} ON aliases
            REFERENCING {rows} TABLE AS changed_rows
            FOR EACH STATEMENT EXECUTE FUNCTION log_catalog_changes('alias')""")
    op.execute("""
        CREATE TRIGGER aliases_notify_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON aliases
        FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed()""")


def downgrade() -> None:
    op.execute("DROP TABLE aliases")
    op.execute("DROP FUNCTION aliases_only_grow()")
