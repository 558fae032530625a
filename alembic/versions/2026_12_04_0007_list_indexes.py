"""Indexes under the catalog's lists, so a filtered first page costs in proportion to the page, not the catalog.

- `q` (case-insensitive text anywhere in an id or a name, `ILIKE '%q%'`) is answered by GIN trigram indexes
  (pg_trgm) on models' id and name and on promotions' name and model id; without them it reads every row.
  pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13, so the database's owner
  can create it without being a superuser.
- `provider` on promotions and `model` on promotions walk (model_id, id): a model's promotions in id order.
- `priced_at` needs no new index: the exclusion constraint's GiST index on prices
  (model_id, tstzrange(valid_from, valid_to, '[)')) answers "has model M a price at T" in one probe; likewise
  promotions' for `active_at`. Models by provider already have (provider_id, id).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEXES = {
    "models_id_trgm": "models USING gin (id gin_trgm_ops)",
    "models_name_trgm": "models USING gin (name gin_trgm_ops)",
    "promotions_name_trgm": "promotions USING gin (name gin_trgm_ops)",
    "promotions_model_id_trgm": "promotions USING gin (model_id gin_trgm_ops)",
}
# The planner estimates how many rows `ILIKE '%q%'` keeps by trying the pattern on the column's histogram. With the
# default 100 entries it cannot tell a word in one name of a hundred from a common one, and walks the table in id
# order for a rare word; with 1000 it takes the trigram index then, and still walks the id order for common text.
SEARCHED = {"models": ("id", "name"), "promotions": ("name", "model_id")}


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {target}")
    op.execute("CREATE INDEX promotions_model_id ON promotions (model_id, id)")
    for table, columns in SEARCHED.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"ALTER COLUMN {c} SET STATISTICS 1000" for c in columns))


def downgrade() -> None:
    for table, columns in SEARCHED.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"ALTER COLUMN {c} SET STATISTICS -1" for c in columns))
    op.execute("DROP INDEX promotions_model_id")
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX {name}")
    # pg_trgm stays, like btree_gist: other schemas in the same database may use it.
