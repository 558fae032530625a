"""The only-grow trigger names itself as the constraint it enforces, so the service maps its error by name.

Its errors used to be told apart from others by the words of their message. Now they carry
`CONSTRAINT = 'prices_only_grow'`, which the driver exposes as `constraint_name`, like every other constraint's.
The trigger's behaviour is unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("@.id, @.model_id, @.valid_from, @.currency, @.input_per_mtok, @.output_per_mtok, "
            "@.cache_read_per_mtok, @.cache_write_per_mtok, @.source, @.recorded_at, @.rules")


def _only_grow(named: bool) -> str:
    using = "ERRCODE = 'integrity_constraint_violation'" + (", CONSTRAINT = 'prices_only_grow'" if named else "")
    return f"""
        CREATE OR REPLACE FUNCTION prices_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'price history only grows: price % cannot be deleted', OLD.id USING {using};
            END IF;
            -- The one change ever allowed: closing an open period, every other column unchanged.
            IF OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
               AND ROW({_COLUMNS.replace("@", "NEW")}) IS NOT DISTINCT FROM ROW({_COLUMNS.replace("@", "OLD")})
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'price history only grows: price % can only have its open period closed', OLD.id
                USING {using};
        END $$"""


def upgrade() -> None:
    op.execute(_only_grow(named=True))


def downgrade() -> None:
    op.execute(_only_grow(named=False))
