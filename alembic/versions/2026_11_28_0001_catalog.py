"""The catalog: providers, models, effective-dated prices, promotions, API keys.

The database itself guards the price history: periods of one model never overlap (btree_gist exclusion),
are never empty, hold no NaN or negative price, and a stored price row can only ever be closed.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLUG = r"'^[a-z0-9][a-z0-9._-]{0,99}$'"


def _price_check(column: str) -> str:
    # numeric accepts 'NaN', and 'NaN' sorts above every number, so `>= 0` alone would let it through.
    return f"CHECK ({column} <> 'NaN' AND {column} >= 0)"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(f"""
        CREATE TABLE providers (
            id text PRIMARY KEY CHECK (id ~ {SLUG}),
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute(f"""
        CREATE TABLE models (
            id text PRIMARY KEY CHECK (id ~ {SLUG}),
            provider_id text NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            open_weights boolean NOT NULL DEFAULT false,
            context_window integer CHECK (context_window > 0),
            released_on date,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX models_provider_id ON models (provider_id, id)")
    op.execute(f"""
        CREATE TABLE prices (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            model_id text NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
            valid_from timestamptz NOT NULL CHECK (isfinite(valid_from)),
            valid_to timestamptz CHECK (isfinite(valid_to)),
            currency char(3) NOT NULL DEFAULT 'USD' CHECK (currency = 'USD'),
            input_per_mtok numeric(24, 12) NOT NULL {_price_check("input_per_mtok")},
            output_per_mtok numeric(24, 12) NOT NULL {_price_check("output_per_mtok")},
            cache_read_per_mtok numeric(24, 12) {_price_check("cache_read_per_mtok")},
            cache_write_per_mtok numeric(24, 12) {_price_check("cache_write_per_mtok")},
            source text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
            recorded_at timestamptz NOT NULL DEFAULT now(),
            -- An empty period would slip past the exclusion below ('empty' && 'empty' is false).
            CONSTRAINT prices_period_not_empty CHECK (NOT isempty(tstzrange(valid_from, valid_to, '[)'))),
            CONSTRAINT prices_no_overlap EXCLUDE USING gist (
                model_id WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&)
        )""")
    # Later pricing rules (time-of-day windows, context tiers, batch/service-tier variants) attach to a
    # price row in tables of their own, so a row without rules keeps meaning "flat rate" forever.
    op.execute("""
        CREATE FUNCTION prices_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'price history only grows: price % cannot be deleted', OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            -- The one change ever allowed: closing an open period, every other column unchanged.
            IF OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW(NEW.id, NEW.model_id, NEW.valid_from, NEW.currency, NEW.input_per_mtok,
                       NEW.output_per_mtok, NEW.cache_read_per_mtok, NEW.cache_write_per_mtok,
                       NEW.source, NEW.recorded_at)
                   IS NOT DISTINCT FROM
                   ROW(OLD.id, OLD.model_id, OLD.valid_from, OLD.currency, OLD.input_per_mtok,
                       OLD.output_per_mtok, OLD.cache_read_per_mtok, OLD.cache_write_per_mtok,
                       OLD.source, OLD.recorded_at)
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'price history only grows: price % can only have its open period closed', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    op.execute("""
        CREATE TRIGGER prices_only_grow BEFORE UPDATE OR DELETE ON prices
        FOR EACH ROW EXECUTE FUNCTION prices_only_grow()""")
    op.execute("""
        CREATE TABLE promotions (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            model_id text NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            percent_off numeric(7, 4) NOT NULL CHECK (percent_off <> 'NaN' AND percent_off > 0 AND percent_off <= 100),
            valid_from timestamptz NOT NULL CHECK (isfinite(valid_from)),
            valid_to timestamptz CHECK (isfinite(valid_to)),
            source text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT promotions_period_not_empty CHECK (NOT isempty(tstzrange(valid_from, valid_to, '[)'))),
            CONSTRAINT promotions_no_overlap EXCLUDE USING gist (
                model_id WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&)
        )""")
    op.execute("""
        CREATE TABLE api_keys (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            prefix text NOT NULL,
            secret_hash bytea NOT NULL UNIQUE,
            scopes text[] NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE api_keys")
    op.execute("DROP TABLE promotions")
    op.execute("DROP TABLE prices")
    op.execute("DROP FUNCTION prices_only_grow()")
    op.execute("DROP TABLE models")
    op.execute("DROP TABLE providers")
    # btree_gist stays: other schemas in the same database may use it.

