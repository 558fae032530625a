"""Pricing rules on a price period: context tiers, time-of-day windows, batch and service-tier variants.

The rules are one jsonb document on the price row, so they share its history: the only-grow trigger now
compares them too, and a rule that changes is a new period. Existing rows get the empty rule set, which means
a flat rate, exactly what they meant before. The database checks the document's shape; the application also
checks what it cannot (IANA zone names).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAT = """'{"context_tiers": [], "time_windows": [], "variants": []}'::jsonb"""

_MONEY = r"""
CREATE FUNCTION price_rule_money(value jsonb, nullable boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(value)
        WHEN 'string' THEN value #>> '{}' ~ '^[0-9]{1,12}(\.[0-9]{1,12})?$'
        WHEN 'null' THEN nullable
        ELSE value IS NULL AND nullable
    END
$$"""

_MULTIPLIER = r"""
CREATE FUNCTION price_rule_multiplier(value jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(value) = 'string'
       AND value #>> '{}' ~ '^[0-9]{1,2}(\.[0-9]{1,6})?$'
       AND (value #>> '{}')::numeric > 0 AND (value #>> '{}')::numeric <= 10
$$"""

_RULES = r"""
CREATE FUNCTION price_rules_valid(rules jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    item jsonb;
    previous numeric := 0;
    clock constant text := '^([01][0-9]|2[0-3]):[0-5][0-9]$';
BEGIN
    IF jsonb_typeof(rules) IS DISTINCT FROM 'object'
       OR (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(rules) AS k)
          IS DISTINCT FROM ARRAY['context_tiers', 'time_windows', 'variants']
       OR jsonb_typeof(rules -> 'context_tiers') <> 'array'
       OR jsonb_typeof(rules -> 'time_windows') <> 'array'
       OR jsonb_typeof(rules -> 'variants') <> 'array' THEN
        RETURN false;
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(rules -> 'context_tiers') LOOP
        IF jsonb_typeof(item -> 'above_prompt_tokens') IS DISTINCT FROM 'number'
           OR (item ->> 'above_prompt_tokens')::numeric <= previous
           OR (item ->> 'above_prompt_tokens')::numeric <> trunc((item ->> 'above_prompt_tokens')::numeric)
           OR NOT price_rule_money(item -> 'input_per_mtok', false)
           OR NOT price_rule_money(item -> 'output_per_mtok', false)
           OR NOT price_rule_money(item -> 'cache_read_per_mtok', true)
           OR NOT price_rule_money(item -> 'cache_write_per_mtok', true) THEN
            RETURN false;
        END IF;
        previous := (item ->> 'above_prompt_tokens')::numeric;
    END LOOP;
    FOR item IN SELECT value FROM jsonb_array_elements(rules -> 'time_windows') LOOP
        IF jsonb_typeof(item -> 'name') IS DISTINCT FROM 'string'
           OR length(item ->> 'name') NOT BETWEEN 1 AND 100
           OR jsonb_typeof(item -> 'timezone') IS DISTINCT FROM 'string'
           OR length(item ->> 'timezone') NOT BETWEEN 1 AND 64
           OR jsonb_typeof(item -> 'days') IS DISTINCT FROM 'array'
           OR jsonb_array_length(item -> 'days') NOT BETWEEN 1 AND 7
           OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(item -> 'days') AS day
                      WHERE day NOT IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'))
           OR coalesce(item ->> 'start', '') !~ clock
           OR (coalesce(item ->> 'end', '') !~ clock AND item ->> 'end' IS DISTINCT FROM '24:00')
           OR item ->> 'start' = item ->> 'end'
           OR jsonb_typeof(item -> 'excluded_dates') IS DISTINCT FROM 'array'
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(item -> 'excluded_dates') AS day
                      WHERE jsonb_typeof(day) <> 'string' OR day #>> '{}' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
           OR NOT price_rule_multiplier(item -> 'multiplier') THEN
            RETURN false;
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(rules -> 'variants') AS v
               WHERE v ->> 'kind' IS NULL OR v ->> 'kind' NOT IN ('batch', 'flex', 'priority')
                  OR NOT price_rule_multiplier(v -> 'multiplier'))
       OR (SELECT count(DISTINCT v ->> 'kind') FROM jsonb_array_elements(rules -> 'variants') AS v)
          <> jsonb_array_length(rules -> 'variants') THEN
        RETURN false;
    END IF;
    RETURN true;
END $$"""


def _only_grow(columns: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION prices_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'price history only grows: price % cannot be deleted', OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            -- The one change ever allowed: closing an open period, every other column unchanged.
            IF OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW({columns.replace("@", "NEW")}) IS NOT DISTINCT FROM ROW({columns.replace("@", "OLD")})
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'price history only grows: price % can only have its open period closed', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END $$"""


_COLUMNS = ("@.id, @.model_id, @.valid_from, @.currency, @.input_per_mtok, @.output_per_mtok, "
            "@.cache_read_per_mtok, @.cache_write_per_mtok, @.source, @.recorded_at")


def upgrade() -> None:
    for function in (_MONEY, _MULTIPLIER, _RULES):
        op.execute(function)
    # The trigger forbids every update but closing a period, so the column is added with its default in one
    # step (no per-row UPDATE), and the trigger learns the new column before anything can write it.
    op.execute(f"ALTER TABLE prices ADD COLUMN rules jsonb NOT NULL DEFAULT {FLAT}")
    op.execute("ALTER TABLE prices ADD CONSTRAINT prices_rules_valid CHECK (price_rules_valid(rules))")
    op.execute(_only_grow(_COLUMNS + ", @.rules"))


def downgrade() -> None:
    op.execute(_only_grow(_COLUMNS))
    op.execute("ALTER TABLE prices DROP CONSTRAINT prices_rules_valid")
    op.execute("ALTER TABLE prices DROP COLUMN rules")
    op.execute("DROP FUNCTION price_rules_valid(jsonb)")
    op.execute("DROP FUNCTION price_rule_multiplier(jsonb)")
    op.execute("DROP FUNCTION price_rule_money(jsonb, boolean)")
