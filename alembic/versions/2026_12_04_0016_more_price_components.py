"""Price components beyond the four token prices: a fee per request, audio and image tokens, one-hour cache writes.

Each is a nullable price column (NULL: unknown, never free) with the same checks as the other prices: numeric(24, 12)
refuses infinities and more than 12 decimals, the CHECK refuses NaN and negatives. The only-grow trigger compares
them too, so a stored row keeps them forever, like every other price. `cache_write_per_mtok` keeps meaning the
default (five-minute) cache write; `cache_write_1h_per_mtok` is the one-hour write.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMNS = ("per_request", "audio_input_per_mtok", "audio_output_per_mtok", "image_input_per_mtok",
               "image_output_per_mtok", "cache_write_1h_per_mtok")

_COLUMNS = ("@.id, @.model_id, @.valid_from, @.currency, @.input_per_mtok, @.output_per_mtok, "
            "@.cache_read_per_mtok, @.cache_write_per_mtok, @.source, @.recorded_at, @.rules")
_USING = "ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'prices_only_grow'"


def _only_grow(columns: str) -> str:
    # As in 0006, with the columns given: the one change ever allowed is closing an open period.
    return f"""
        CREATE OR REPLACE FUNCTION prices_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'price history only grows: price % cannot be deleted', OLD.id USING {_USING};
            END IF;
            IF OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW({columns.replace("@", "NEW")}) IS NOT DISTINCT FROM ROW({columns.replace("@", "OLD")})
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'price history only grows: price % can only have its open period closed', OLD.id
                USING {_USING};
        END $$"""


def upgrade() -> None:
    # Nullable columns without a default are added without touching a row, so the trigger never fires here; it
    # learns the new columns in the same transaction, before anything can write them.
    for column in NEW_COLUMNS:
        op.execute(f"ALTER TABLE prices ADD COLUMN {column} numeric(24, 12) "
                   f"CONSTRAINT prices_{column}_valid CHECK ({column} <> 'NaN' AND {column} >= 0)")
    op.execute(_only_grow(_COLUMNS + "".join(f", @.{column}" for column in NEW_COLUMNS)))


def downgrade() -> None:
    op.execute(_only_grow(_COLUMNS))
    for column in NEW_COLUMNS:
        op.execute(f"ALTER TABLE prices DROP COLUMN {column}")
