"""Offerings: one provider selling one model, each with its own price history.

A row of `models` is now an offering. The maker's own offering keeps its bare id (`deepseek-v4-flash`, sold by
`deepseek`), so every existing id, URL and answer keeps meaning what it meant. Any other seller's offering is
`provider/model` (`together/deepseek-v4-flash`), and the database holds the two spellings together:
- the part before the slash is the row's provider;
- `model` (generated) is what was released: the part after the slash, or the bare id;
- one provider sells a model once: `together/x` and a bare `x` of `together` cannot both exist, so
  `together/x` resolves to exactly one row whichever way it is stored.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLUG = "[a-z0-9][a-z0-9._-]{0,99}"


def upgrade() -> None:
    op.execute("ALTER TABLE models DROP CONSTRAINT models_id_check")
    op.execute(f"ALTER TABLE models ADD CONSTRAINT models_id_is_an_offering CHECK (id ~ '^{SLUG}(/{SLUG})?$')")
    op.execute("""
        ALTER TABLE models ADD CONSTRAINT models_offering_of_its_provider
        CHECK (strpos(id, '/') = 0 OR split_part(id, '/', 1) = provider_id)""")
    op.execute("""
        ALTER TABLE models ADD COLUMN model text NOT NULL
        GENERATED ALWAYS AS (CASE WHEN strpos(id, '/') = 0 THEN id ELSE split_part(id, '/', 2) END) STORED""")
    op.execute("CREATE UNIQUE INDEX models_one_offering_per_provider ON models (model, provider_id)")


def downgrade() -> None:
    op.execute("DROP INDEX models_one_offering_per_provider")
    op.execute("ALTER TABLE models DROP COLUMN model")
    op.execute("ALTER TABLE models DROP CONSTRAINT models_offering_of_its_provider")
    op.execute("ALTER TABLE models DROP CONSTRAINT models_id_is_an_offering")
    op.execute(f"ALTER TABLE models ADD CONSTRAINT models_id_check CHECK (id ~ '^{SLUG}$')")
