"""Writes only change the future; filling a past gap is a backfill, and says so.

- A price period may be closed only at or after the time of the write (the transaction's `now()`): closing it
  earlier would change answers already given for past instants. `prices_only_grow` keeps its one allowed change,
  with that bound.
- A promotion may start, end, change or disappear only at or after the time of the write, except that it may be
  laid over a past stretch where the model has no price at all (a backfill: no answer there changes).
- `backfill` on prices and promotions: the row starts before it was recorded.
Both refusals carry a constraint name, so the service maps them to its `history-is-fixed` problem.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("@.id, @.model_id, @.valid_from, @.currency, @.input_per_mtok, @.output_per_mtok, "
            "@.cache_read_per_mtok, @.cache_write_per_mtok, @.source, @.recorded_at, @.rules")
_GROW = "ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'prices_only_grow'"
_PAST = "ERRCODE = 'integrity_constraint_violation', CONSTRAINT = '{table}_past_is_fixed'"


def _prices_only_grow(bounded: bool) -> str:
    bound = f"""
                IF NEW.valid_to < now() THEN
                    RAISE EXCEPTION 'price % cannot be closed at %, before the time of the write: only the future '
                                    'can change', OLD.id, NEW.valid_to USING {_PAST.format(table="prices")};
                END IF;""" if bounded else ""
    return f"""
        CREATE OR REPLACE FUNCTION prices_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'price history only grows: price % cannot be deleted', OLD.id USING {_GROW};
            END IF;
            -- The one change ever allowed: closing an open period, every other column unchanged.
            IF OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW({_COLUMNS.replace("@", "NEW")}) IS NOT DISTINCT FROM ROW({_COLUMNS.replace("@", "OLD")})
            THEN{bound}
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'price history only grows: price % can only have its open period closed', OLD.id
                USING {_GROW};
        END $$"""


# What a promotion says before now() is fixed. A promotion that has not started may move, but its part before now()
# may only lie where the model has no price (a backfill), like a new one's.
_PROMOTIONS_PAST_IS_FIXED = f"""
    CREATE FUNCTION promotions_past_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.valid_from < now() THEN
                RAISE EXCEPTION 'promotion % has started: it cannot be deleted', OLD.id
                    USING {_PAST.format(table="promotions")};
            END IF;
            RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.valid_from < now() THEN
            IF ROW(NEW.model_id, NEW.name, NEW.percent_off, NEW.valid_from)
                   IS DISTINCT FROM ROW(OLD.model_id, OLD.name, OLD.percent_off, OLD.valid_from)
               OR (NEW.valid_to IS DISTINCT FROM OLD.valid_to
                   AND least(coalesce(NEW.valid_to, 'infinity'), coalesce(OLD.valid_to, 'infinity')) < now())
            THEN
                RAISE EXCEPTION 'promotion % has started: only its end, at or after now, can change', OLD.id
                    USING {_PAST.format(table="promotions")};
            END IF;
            RETURN NEW;
        END IF;
        -- Two IFs: SQL does not promise to test the start first, and the range below needs it before now().
        IF NEW.valid_from < now() THEN
            IF EXISTS (
                SELECT 1 FROM prices p WHERE p.model_id = NEW.model_id AND tstzrange(p.valid_from, p.valid_to, '[)')
                    && tstzrange(NEW.valid_from, least(NEW.valid_to, now()), '[)'))
            THEN
                RAISE EXCEPTION 'a promotion of % cannot start before now where the model had a price', NEW.model_id
                    USING {_PAST.format(table="promotions")};
            END IF;
        END IF;
        RETURN NEW;
    END $$"""


def upgrade() -> None:
    op.execute(_prices_only_grow(bounded=True))
    op.execute(_PROMOTIONS_PAST_IS_FIXED)
    op.execute("""
        CREATE TRIGGER promotions_past_is_fixed BEFORE INSERT OR UPDATE OR DELETE ON promotions
        FOR EACH ROW EXECUTE FUNCTION promotions_past_is_fixed()""")
    op.execute("ALTER TABLE prices ADD COLUMN backfill boolean GENERATED ALWAYS AS (valid_from < recorded_at) STORED")
    op.execute("ALTER TABLE promotions ADD COLUMN backfill boolean "
               "GENERATED ALWAYS AS (valid_from < created_at) STORED")


def downgrade() -> None:
    op.execute("ALTER TABLE promotions DROP COLUMN backfill")
    op.execute("ALTER TABLE prices DROP COLUMN backfill")
    op.execute("DROP TRIGGER promotions_past_is_fixed ON promotions")
    op.execute("DROP FUNCTION promotions_past_is_fixed()")
    op.execute(_prices_only_grow(bounded=False))
