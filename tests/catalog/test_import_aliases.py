"""An import keeps each entry's own key as an alias of the offering it became (docs/offerings.md, Aliases)."""

from __future__ import annotations

from datetime import UTC, datetime

from service.catalog.importing.importer import apply_import
from service.catalog.importing.litellm import parse_litellm
from service.catalog.importing.package_data import litellm_cost_map
from service.estimates import schemas
from service.estimates.compute import estimate_one
from service.feeds.litellm import litellm_key
from service.snapshot.catalog_snapshot import load_snapshot

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
BEDROCK_KEY = "anthropic.claude-3-5-sonnet-20240620-v1:0"


async def test_litellm_keys_become_aliases_that_estimates_and_the_feed_use(session):
    report = await apply_import(session, parse_litellm(litellm_cost_map()), "import:litellm", NOW)
    assert report.aliases_added > 100
    snapshot = await load_snapshot(session)
    request = schemas.EstimateRequest(model=BEDROCK_KEY, input_tokens=1000, output_tokens=1000,
                                      at=NOW.isoformat())
    assert estimate_one(snapshot, request).body.model == "bedrock/claude-3-5-sonnet-20240620"
    assert litellm_key(snapshot, "bedrock/claude-3-5-sonnet-20240620", NOW) == (BEDROCK_KEY, "bedrock")
    again = await apply_import(session, parse_litellm(litellm_cost_map()), "import:litellm", NOW.replace(hour=13))
    assert again.aliases_added == 0
