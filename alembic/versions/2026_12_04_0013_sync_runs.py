"""Sync runs: one row for every `catalog sync` of another catalog's URL, whatever its outcome.

The row is written in the same transaction as the sync's changes (or after they were rolled back), so a run that
shows `applied` is exactly one whose changes were committed. The validators of the last applied run (ETag,
Last-Modified, the body's digest) are what the next run sends as If-None-Match and If-Modified-Since.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
# Written beside the offerings migration (0008) on another branch: whoever lands second points this at the head.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE sync_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            source_url text NOT NULL CHECK (length(source_url) BETWEEN 1 AND 2000),
            format text NOT NULL CHECK (format IN ('litellm', 'genai-prices')),
            dry_run boolean NOT NULL,
            started_at timestamptz NOT NULL,
            finished_at timestamptz NOT NULL CHECK (finished_at >= started_at),
            outcome text NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'not_modified', 'failed')),
            http_status integer,
            etag text,
            last_modified text,
            body_sha256 text,
            providers_created integer NOT NULL DEFAULT 0,
            models_created integer NOT NULL DEFAULT 0,
            prices_added integer NOT NULL DEFAULT 0,
            prices_unchanged integer NOT NULL DEFAULT 0,
            refused integer NOT NULL DEFAULT 0,
            skipped integer NOT NULL DEFAULT 0,
            error text,
            CHECK ((outcome = 'failed') = (error IS NOT NULL))
        )""")
    # The last run of a source (its validators, the scheduler's "is it due") and the list by source.
    op.execute("CREATE INDEX sync_runs_by_source ON sync_runs (source_url, format, id)")


def downgrade() -> None:
    op.execute("DROP TABLE sync_runs")
