"""Writes only change the future; filling a past gap is a backfill, and says so.

- A price period may be closed only at or after the time of the write (the transaction's `now()`): closing it
  earlier would change answers already given for past instants. `prices_only_grow` keeps its one allowed change,
  with that bound.
- A promotion may start, end, change or disappear only at or after the time of the write, except that it may be
  laid over a past stretch where the model has no price at all (a backfill: no answer there changes).
- `backfill` on prices and promotions: the row starts before it was recorded.
Both refusals carry a constraint name, so the service maps them to its `history-is-fixed` problem.

Record time (issue 18), for prices and promotions: `recorded_at` (the inserting transaction's now()) and
`superseded_at` (null while the catalog still says so). A row is never updated except to close its open period (as
above) or to set `superseded_at` once, to the superseding transaction's now(); the exclusion constraints keep the
overlap rules for each record time: two rows of a model may overlap in valid time only if their record times do
not. A correction (the `corrections` table, its own audited write) supersedes rows and inserts their replacements in
one transaction; only there may a promotion be laid over a priced past.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("@.id, @.model_id, @.valid_from, @.currency, @.input_per_mtok, @.output_per_mtok, "
            "@.cache_read_per_mtok, @.cache_write_per_mtok, @.source, @.recorded_at, @.rules, "
            # 0016's prices, which its own version of the function already kept
            "@.per_request, @.audio_input_per_mtok, @.audio_output_per_mtok, @.image_input_per_mtok, "
            "@.image_output_per_mtok, @.cache_write_1h_per_mtok")
# The columns fixed once a row is written: 0006's, and the correction that recorded the row.
_FIXED = _COLUMNS + ", @.correction_id"
_SUPERSEDE = "ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'history_superseded_once'"
_GROW = "ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'prices_only_grow'"
_PAST = "ERRCODE = 'integrity_constraint_violation', CONSTRAINT = '{table}_past_is_fixed'"


# A superseding transaction's now() can precede a row's recorded_at only when that transaction began before the
# row's committed: it then read a catalog without the row, so it must retry rather than supersede it.
_SUPERSEDED_AT_NOW = """IF NEW.superseded_at <> now() OR NEW.superseded_at < OLD.recorded_at THEN
                    RAISE EXCEPTION '{table} % can only be superseded at the time of the write, after it was recorded',
                        OLD.id USING """ + _SUPERSEDE + """;
                END IF;"""


def _prices_only_grow(bounded: bool) -> str:
    bound = f"""
                IF NEW.valid_to < now() THEN
                    RAISE EXCEPTION 'price % cannot be closed at %, before the time of the write: only the future '
                                    'can change', OLD.id, NEW.valid_to USING {_PAST.format(table="prices")};
                END IF;""" if bounded else ""
    superseding = f"""
            -- Superseded once, by a correction, at its transaction's now(); nothing else changes.
            IF OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL AND NEW.superseded_by IS NOT NULL
               AND ROW({_FIXED.replace("@", "NEW")}, NEW.valid_to)
                   IS NOT DISTINCT FROM ROW({_FIXED.replace("@", "OLD")}, OLD.valid_to)
            THEN
                {_SUPERSEDED_AT_NOW.format(table="price")}
                RETURN NEW;
            END IF;""" if bounded else ""
    columns = _FIXED if bounded else _COLUMNS
    return f"""
        CREATE OR REPLACE FUNCTION prices_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'price history only grows: price % cannot be deleted', OLD.id USING {_GROW};
            END IF;{superseding}
            -- The one change ever allowed besides: closing an open period, every other column unchanged.
            IF OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW({columns.replace("@", "NEW")}) IS NOT DISTINCT FROM ROW({columns.replace("@", "OLD")})
               {"AND OLD.superseded_at IS NULL AND NEW.superseded_at IS NULL" if bounded else ""}
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
        IF TG_OP = 'UPDATE' AND (OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NOT NULL) THEN
            IF OLD.superseded_at IS NULL AND NEW.superseded_by IS NOT NULL
               AND ROW(NEW.model_id, NEW.name, NEW.percent_off, NEW.valid_from, NEW.valid_to, NEW.source,
                       NEW.recorded_at, NEW.correction_id)
                   IS NOT DISTINCT FROM ROW(OLD.model_id, OLD.name, OLD.percent_off, OLD.valid_from, OLD.valid_to,
                                            OLD.source, OLD.recorded_at, OLD.correction_id)
            THEN
                {_SUPERSEDED_AT_NOW.format(table="promotion")}
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'promotion % can only be superseded, once', OLD.id USING {_SUPERSEDE};
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
        -- A correction recorded by this transaction for the model may lay it anywhere: that is its purpose.
        IF NEW.valid_from < now() AND NOT EXISTS (
            SELECT 1 FROM corrections c WHERE c.model_id = NEW.model_id AND c.recorded_at = now())
        THEN
            IF EXISTS (
                SELECT 1 FROM prices p WHERE p.model_id = NEW.model_id AND p.superseded_at IS NULL
                    AND tstzrange(p.valid_from, p.valid_to, '[)')
                    && tstzrange(NEW.valid_from, least(NEW.valid_to, now()), '[)'))
            THEN
                RAISE EXCEPTION 'a promotion of % cannot start before now where the model had a price', NEW.model_id
                    USING {_PAST.format(table="promotions")};
            END IF;
        END IF;
        RETURN NEW;
    END $$"""


_RECORDED_NOW = """
    CREATE FUNCTION recorded_now() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.recorded_at IS DISTINCT FROM now() OR NEW.superseded_at IS NOT NULL THEN
            RAISE EXCEPTION 'a % row is recorded at the time of its write, and not yet superseded', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'recorded_now';
        END IF;
        RETURN NEW;
    END $$"""


def _exclusion(table: str, with_record_time: bool) -> str:
    record_time = ", tstzrange(recorded_at, superseded_at, '[)') WITH &&" if with_record_time else ""
    return (f"ALTER TABLE {table} ADD CONSTRAINT {table}_no_overlap EXCLUDE USING gist ("
            f"model_id WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&{record_time})")


def upgrade() -> None:
    _record_time()
    # A quote records what the catalog knew when it was made; older quotes do not say (null).
    op.execute("ALTER TABLE quotes ADD COLUMN known_at timestamptz")
    op.execute("ALTER TABLE quotes ALTER COLUMN known_at SET DEFAULT now()")
    op.execute(_prices_only_grow(bounded=True))
    op.execute(_PROMOTIONS_PAST_IS_FIXED)
    op.execute("""
        CREATE TRIGGER promotions_past_is_fixed BEFORE INSERT OR UPDATE OR DELETE ON promotions
        FOR EACH ROW EXECUTE FUNCTION promotions_past_is_fixed()""")
    op.execute("ALTER TABLE prices ADD COLUMN backfill boolean GENERATED ALWAYS AS (valid_from < recorded_at) STORED")
    op.execute("ALTER TABLE promotions ADD COLUMN backfill boolean "
               "GENERATED ALWAYS AS (valid_from < created_at) STORED")


def _record_time() -> None:
    op.execute("""
        CREATE TABLE corrections (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            model_id text NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
            reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
            key_id bigint REFERENCES api_keys (id),
            recorded_at timestamptz NOT NULL DEFAULT now(),
            -- The stretch of valid time whose rows it replaced.
            valid_from timestamptz NOT NULL CHECK (isfinite(valid_from)),
            valid_to timestamptz CHECK (isfinite(valid_to)),
            CONSTRAINT corrections_stretch_not_empty CHECK (NOT isempty(tstzrange(valid_from, valid_to, '[)')))
        )""")
    op.execute("CREATE INDEX corrections_model_id ON corrections (model_id, id)")
    op.execute("CREATE INDEX corrections_recorded_at ON corrections (recorded_at, id)")
    op.execute("""
        CREATE FUNCTION corrections_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'corrections are never changed or deleted'
                USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'corrections_only_grow';
        END $$""")
    op.execute("""
        CREATE TRIGGER corrections_only_grow BEFORE UPDATE OR DELETE ON corrections
        FOR EACH ROW EXECUTE FUNCTION corrections_only_grow()""")
    op.execute(_RECORDED_NOW)
    # Links: the correction that recorded a row (null for ordinary writes), and the one that superseded it.
    links = ("ADD COLUMN superseded_at timestamptz, ADD COLUMN correction_id bigint REFERENCES corrections (id), "
             "ADD COLUMN superseded_by bigint REFERENCES corrections (id)")
    op.execute(f"ALTER TABLE prices {links}")
    # Promotions were recorded when they were created; their change-log and history triggers stay out of that.
    op.execute(f"ALTER TABLE promotions ADD COLUMN recorded_at timestamptz, {links}")
    op.execute("ALTER TABLE promotions DISABLE TRIGGER USER")
    op.execute("UPDATE promotions SET recorded_at = created_at")
    op.execute("ALTER TABLE promotions ENABLE TRIGGER USER")
    op.execute("ALTER TABLE promotions ALTER COLUMN recorded_at SET NOT NULL, "
               "ALTER COLUMN recorded_at SET DEFAULT now()")
    for table in ("prices", "promotions"):
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_supersede_after_record "
                   "CHECK (superseded_at >= recorded_at AND (superseded_at IS NULL) = (superseded_by IS NULL))")
        op.execute(f"CREATE INDEX {table}_correction_id ON {table} (correction_id) WHERE correction_id IS NOT NULL")
        op.execute(f"CREATE INDEX {table}_superseded_by ON {table} (superseded_by) WHERE superseded_by IS NOT NULL")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_no_overlap")
        op.execute(_exclusion(table, with_record_time=True))
        op.execute(f"""
            CREATE TRIGGER {table}_recorded_now BEFORE INSERT ON {table}
            FOR EACH ROW EXECUTE FUNCTION recorded_now()""")
    op.execute("""
        CREATE TRIGGER corrections_log_change AFTER INSERT ON corrections
        REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION log_catalog_changes('correction')""")


def downgrade() -> None:
    op.execute("ALTER TABLE quotes DROP COLUMN known_at")
    op.execute("ALTER TABLE promotions DROP COLUMN backfill")
    op.execute("ALTER TABLE prices DROP COLUMN backfill")
    op.execute("DROP TRIGGER promotions_past_is_fixed ON promotions")
    op.execute("DROP FUNCTION promotions_past_is_fixed()")
    op.execute(_prices_only_grow(bounded=False))
    op.execute("DROP TRIGGER corrections_log_change ON corrections")
    # Superseded rows overlap current ones in valid time: they go, or the old constraint could not hold.
    for table in ("prices", "promotions"):
        op.execute(f"DROP TRIGGER {table}_recorded_now ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        op.execute(f"DELETE FROM {table} WHERE superseded_at IS NOT NULL")
        op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_no_overlap")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_supersede_after_record")
        op.execute(_exclusion(table, with_record_time=False))
    links = "DROP COLUMN superseded_at, DROP COLUMN correction_id, DROP COLUMN superseded_by"
    op.execute(f"ALTER TABLE promotions {links}, DROP COLUMN recorded_at")
    op.execute(f"ALTER TABLE prices {links}")
    op.execute("DROP FUNCTION recorded_now()")
    op.execute("DROP TABLE corrections")
    op.execute("DROP FUNCTION corrections_only_grow()")
