"""No in-place changes left in price and promotion history: a row is only ever superseded, once (issue 18).

0018 still let an ordinary write close a price's open period in place and change or delete a promotion still to
come, so a past `known_at` answered about the future with what was written later. From here on:

- An UPDATE of `prices` or `promotions` may only set `superseded_at` from null, to the transaction's now(), with
  nothing else changing but the columns that say how: `superseded_by` (a correction) or, for a promotion,
  `withdrawn` (an ordinary delete). DELETE is refused.
- An ordinary write supersedes a row and inserts its replacement, which names it (`replaces`). Before now() the
  replacement says what the row said (same start, same end up to now(), same prices or discount): only the future
  changes. A row that said something before now() and is superseded by no correction must be replaced by commit
  (a deferred check); a promotion that has started cannot be withdrawn.
- A price's `backfill` is set on insert, a replacement keeping its row's: continuing a period is not a backfill.
- A withdrawn promotion is logged as `promotion.deleted`, as its DELETE was.

The exclusion constraints stay as 0018 made them (valid time and record time together), so a row and its
replacement, recorded at the same instant, never overlap.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ERROR = "ERRCODE = 'integrity_constraint_violation', CONSTRAINT = '{name}'"
# What may differ between a row and its replacement beyond its end: the bookkeeping, and a promotion's source and
# timestamps (its name and discount may not, before now()).
_BOOKKEEPING = ("id", "valid_to", "recorded_at", "superseded_at", "superseded_by", "correction_id", "replaces",
                "backfill", "withdrawn", "created_at", "updated_at")
_PROMOTION_EXTRA = ("source",)


def _only_superseded(table: str, how: str) -> str:
    """The one UPDATE allowed: superseded_at from null to now(), with the columns in `how` and nothing else."""
    return f"""
        CREATE OR REPLACE FUNCTION {table}_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION '{table} are never deleted: % can only be superseded', OLD.id
                    USING {_ERROR.format(name=f"{table}_only_grow")};
            END IF;
            IF OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NULL
               OR (to_jsonb(NEW) - '{{superseded_at, {how}}}'::text[])
                  IS DISTINCT FROM (to_jsonb(OLD) - '{{superseded_at, {how}}}'::text[])
            THEN
                RAISE EXCEPTION '{table} history only grows: % can only be superseded, once, nothing else changing',
                    OLD.id USING {_ERROR.format(name=f"{table}_only_grow")};
            END IF;
            -- A superseding transaction's now() precedes a row's recorded_at only when it began before the row's
            -- committed: it read a catalog without the row, so it must retry rather than supersede it.
            IF NEW.superseded_at <> now() OR NEW.superseded_at < OLD.recorded_at THEN
                RAISE EXCEPTION '% % can only be superseded at the time of the write, after it was recorded',
                    TG_TABLE_NAME, OLD.id USING {_ERROR.format(name="history_superseded_once")};
            END IF;
            RETURN NEW;
        END $$"""


_PROMOTIONS_PAST_IS_FIXED = f"""
    CREATE OR REPLACE FUNCTION promotions_past_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF NEW.withdrawn AND OLD.valid_from < now() THEN
                RAISE EXCEPTION 'promotion % has started: it cannot be withdrawn', OLD.id
                    USING {_ERROR.format(name="promotions_past_is_fixed")};
            END IF;
            RETURN NEW;
        END IF;
        -- Two IFs: SQL does not promise to test the start first, and the range below needs it before now().
        -- A correction recorded by this transaction for the model may lay it anywhere: that is its purpose. A
        -- replacement that starts where its row did says before now() what the row said (promotions_replaces).
        IF NEW.valid_from < now() AND NOT EXISTS (
            SELECT 1 FROM corrections c WHERE c.model_id = NEW.model_id AND c.recorded_at = now())
           AND NOT EXISTS (SELECT 1 FROM promotions o WHERE o.id = NEW.replaces AND o.valid_from = NEW.valid_from)
        THEN
            IF EXISTS (
                SELECT 1 FROM prices p WHERE p.model_id = NEW.model_id AND p.superseded_at IS NULL
                    AND tstzrange(p.valid_from, p.valid_to, '[)')
                    && tstzrange(NEW.valid_from, least(NEW.valid_to, now()), '[)'))
            THEN
                RAISE EXCEPTION 'a promotion of % cannot start before now where the model had a price', NEW.model_id
                    USING {_ERROR.format(name="promotions_past_is_fixed")};
            END IF;
        END IF;
        RETURN NEW;
    END $$"""

# On insert of a replacement: it replaces a row this transaction superseded, by no correction, of the same model;
# and if that row said something before now(), the replacement says the same there. TG_ARGV: the keys that may
# differ besides the end.
_REPLACES = f"""
    CREATE FUNCTION history_replaces() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old jsonb;
        old_from timestamptz;
        old_to timestamptz;
    BEGIN
        IF NEW.replaces IS NULL THEN
            RETURN NEW;
        END IF;
        EXECUTE format('SELECT to_jsonb(t) FROM %I t WHERE id = $1', TG_TABLE_NAME) INTO old USING NEW.replaces;
        IF old IS NULL OR old ->> 'model_id' <> NEW.model_id
           OR (old ->> 'superseded_at')::timestamptz IS DISTINCT FROM now()
           OR old ->> 'superseded_by' IS NOT NULL OR coalesce((old ->> 'withdrawn')::boolean, false)
        THEN
            RAISE EXCEPTION 'a % row can only replace one of its model''s rows that this write superseded',
                TG_TABLE_NAME USING {_ERROR.format(name="history_replaces")};
        END IF;
        old_from := (old ->> 'valid_from')::timestamptz;
        old_to := (old ->> 'valid_to')::timestamptz;
        IF old_from < now() AND (
            NEW.valid_from <> old_from
            OR least(coalesce(NEW.valid_to, 'infinity'), now()) <> least(coalesce(old_to, 'infinity'), now())
            OR (to_jsonb(NEW) - TG_ARGV) IS DISTINCT FROM (old - TG_ARGV))
        THEN
            RAISE EXCEPTION 'the replacement of % % would change what it said before the time of the write',
                TG_TABLE_NAME, NEW.replaces
                USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = TG_TABLE_NAME || '_past_is_fixed';
        END IF;
        RETURN NEW;
    END $$"""

# At commit: a row that said something before the time of its supersession, superseded by no correction, has its
# replacement (or, a promotion, was withdrawn, which promotions_past_is_fixed allows only before it starts).
_REPLACED = f"""
    CREATE FUNCTION history_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        found boolean;
    BEGIN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE replaces = $1)', TG_TABLE_NAME)
            INTO found USING NEW.id;
        IF NOT found THEN
            RAISE EXCEPTION '% % was superseded without a correction or a replacement: that would change the past',
                TG_TABLE_NAME, NEW.id USING {_ERROR.format(name="history_replaced")};
        END IF;
        RETURN NULL;
    END $$"""

_PRICES_BACKFILL = """
    CREATE FUNCTION prices_backfill() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- A period that starts before it was recorded filled a past gap; a replacement continues its row's.
        NEW.backfill := coalesce((SELECT p.backfill FROM prices p WHERE p.id = NEW.replaces), NEW.valid_from < now());
        RETURN NEW;
    END $$"""

_LOG = """
    CREATE OR REPLACE FUNCTION log_catalog_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        added bigint;
        first_seq bigint;
    BEGIN
        SELECT count(*) INTO added FROM changed_rows;
        IF added = 0 THEN
            RETURN NULL;
        END IF;
        UPDATE change_counter SET last_seq = last_seq + added RETURNING last_seq - added + 1 INTO first_seq;
        -- A transition table is read back in the order its rows were changed: row_number() keeps that order.
        INSERT INTO catalog_changes (seq, kind, object)
        SELECT first_seq - 1 + row_number() OVER (),
               TG_ARGV[0] || '.' || CASE WHEN TG_OP = 'INSERT' THEN 'created'
                                         WHEN TG_OP = 'UPDATE' AND {withdrawn} THEN 'deleted'
                                         WHEN TG_OP = 'UPDATE' THEN 'updated' ELSE 'deleted' END,
               to_jsonb(changed)
        FROM changed_rows AS changed;
        RETURN NULL;
    END $$"""


def _keys(*keys: str) -> str:
    return ", ".join(f"'{key}'" for key in keys)


def upgrade() -> None:
    for table in ("prices", "promotions"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN replaces bigint REFERENCES {table} (id)")
        op.execute(f"CREATE UNIQUE INDEX {table}_replaces ON {table} (replaces) WHERE replaces IS NOT NULL")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_supersede_after_record")
    op.execute("ALTER TABLE promotions ADD COLUMN withdrawn boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE prices ADD CONSTRAINT prices_supersede_after_record CHECK (superseded_at >= recorded_at "
               "AND (superseded_by IS NULL OR superseded_at IS NOT NULL))")
    op.execute("ALTER TABLE promotions ADD CONSTRAINT promotions_supersede_after_record CHECK ("
               "superseded_at >= recorded_at AND (superseded_by IS NULL OR superseded_at IS NOT NULL) "
               "AND NOT (withdrawn AND (superseded_at IS NULL OR superseded_by IS NOT NULL)))")
    op.execute("ALTER TABLE prices ALTER COLUMN backfill DROP EXPRESSION")
    op.execute("ALTER TABLE prices ALTER COLUMN backfill SET DEFAULT false, ALTER COLUMN backfill SET NOT NULL")
    op.execute(_PRICES_BACKFILL)
    op.execute("CREATE TRIGGER prices_backfill BEFORE INSERT ON prices FOR EACH ROW EXECUTE FUNCTION prices_backfill()")
    op.execute(_only_superseded("prices", "superseded_by"))  # 0018's function, under 0001's trigger
    # Its generated backfill is not computed yet in a BEFORE trigger's NEW: left out, it follows valid_from.
    op.execute(_only_superseded("promotions", "superseded_by, withdrawn, backfill"))
    op.execute("CREATE TRIGGER promotions_only_grow BEFORE UPDATE OR DELETE ON promotions "
               "FOR EACH ROW EXECUTE FUNCTION promotions_only_grow()")
    op.execute(_PROMOTIONS_PAST_IS_FIXED)
    op.execute("DROP TRIGGER promotions_past_is_fixed ON promotions")
    op.execute("CREATE TRIGGER promotions_past_is_fixed BEFORE INSERT OR UPDATE ON promotions "
               "FOR EACH ROW EXECUTE FUNCTION promotions_past_is_fixed()")
    op.execute(_REPLACES)
    op.execute(_REPLACED)
    for table, extra in (("prices", ()), ("promotions", _PROMOTION_EXTRA)):
        op.execute(f"CREATE TRIGGER {table}_replaces BEFORE INSERT ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION history_replaces({_keys(*_BOOKKEEPING, *extra)})")
        op.execute(f"""
            CREATE CONSTRAINT TRIGGER {table}_replaced AFTER UPDATE ON {table} DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
                               AND NEW.superseded_by IS NULL AND NEW.valid_from < NEW.superseded_at)
            EXECUTE FUNCTION history_replaced()""")
    op.execute(_LOG.format(withdrawn="coalesce((to_jsonb(changed) ->> 'withdrawn')::boolean, false)"))


def downgrade() -> None:
    op.execute(_LOG.format(withdrawn="false"))
    for table in ("prices", "promotions"):
        op.execute(f"DROP TRIGGER {table}_replaced ON {table}")
        op.execute(f"DROP TRIGGER {table}_replaces ON {table}")
    op.execute("DROP FUNCTION history_replaced()")
    op.execute("DROP FUNCTION history_replaces()")
    op.execute("DROP TRIGGER promotions_only_grow ON promotions")
    op.execute("DROP FUNCTION promotions_only_grow()")
    op.execute("DROP TRIGGER prices_backfill ON prices")
    op.execute("DROP FUNCTION prices_backfill()")
    # 0018's rules again: what ordinary writes superseded goes (0018 changed such rows in place), a withdrawn
    # promotion with it, and the generated backfill returns.
    for table in ("prices", "promotions"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN replaces")
        op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        op.execute(f"DELETE FROM {table} WHERE superseded_at IS NOT NULL AND superseded_by IS NULL")
        op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_supersede_after_record")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_supersede_after_record "
                   "CHECK (superseded_at >= recorded_at AND (superseded_at IS NULL) = (superseded_by IS NULL))")
    op.execute("ALTER TABLE promotions DROP COLUMN withdrawn")
    op.execute("ALTER TABLE prices DROP COLUMN backfill")
    op.execute("ALTER TABLE prices ADD COLUMN backfill boolean "
               "GENERATED ALWAYS AS (valid_from < recorded_at) STORED")
    _restore_0018_functions()


def _restore_0018_functions() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("2026_12_04_0018_history.py")
    spec = importlib.util.spec_from_file_location("history_0018", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    op.execute(module._prices_only_grow(bounded=True))
    op.execute("DROP TRIGGER promotions_past_is_fixed ON promotions")
    op.execute("DROP FUNCTION promotions_past_is_fixed()")
    op.execute(module._PROMOTIONS_PAST_IS_FIXED)
    op.execute("""
        CREATE TRIGGER promotions_past_is_fixed BEFORE INSERT OR UPDATE OR DELETE ON promotions
        FOR EACH ROW EXECUTE FUNCTION promotions_past_is_fixed()""")
