"""Which version of the default catalog's data file a database holds, so a restart with the same file loads nothing.

`serve` (with CATALOG=default) compares the SHA-256 of the packaged data file with the last row here: equal, it
loads nothing; different or absent, it brings in what the file adds or changes, and appends a row. Rows are only
ever appended, so the table is also the history of the loads.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE catalog_loads (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
            as_of timestamptz NOT NULL,
            offerings_added integer NOT NULL CHECK (offerings_added >= 0),
            prices_added integer NOT NULL CHECK (prices_added >= 0),
            loaded_at timestamptz NOT NULL DEFAULT now()
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE catalog_loads")
