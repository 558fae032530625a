"""The LiteLLM feed keys each offering as LiteLLM does, so LiteLLM prices every key as our estimates do."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from decimal import Decimal

from service.catalog import alias_schemas, aliases, queries, schemas
from service.estimates import schemas as estimate_schemas
from service.estimates.compute import estimate_one
from service.feeds.litellm import encode, litellm_map
from service.snapshot.catalog_snapshot import load_snapshot
from tests.factories import make_model, make_price, unique_slug

JAN = datetime(2026, 1, 1, tzinfo=UTC)
AT = datetime(2026, 5, 10, tzinfo=UTC)  # the seed prices deepseek-v4-flash from 2026-04-24


async def _provider(session, provider_id: str) -> None:
    if await session.get(queries.ProviderRow, provider_id) is None:
        await queries.create_provider(session, schemas.ProviderCreate(id=provider_id, name=provider_id))


async def _offerings(session) -> dict[str, str]:
    """Our id -> the key LiteLLM should know it by."""
    for provider in ("together", "bedrock"):
        await _provider(session, provider)
    model = unique_slug("open-weights")
    await make_model(session, f"together/{model}", provider="together")
    await make_price(session, f"together/{model}", JAN, input_per_mtok="0.6", output_per_mtok="1.2")
    claude = unique_slug("claude-y")
    await make_model(session, f"bedrock/{claude}", provider="bedrock")
    await make_price(session, f"bedrock/{claude}", JAN, input_per_mtok="3", output_per_mtok="15",
                     cache_read_per_mtok="0.3")
    key = f"bedrock/anthropic.{claude}-v1:0"
    await aliases.create_alias(session, alias_schemas.AliasCreate(
        alias=key, model=f"bedrock/{claude}", source="litellm 1.110.2 key", valid_from=JAN))
    return {"deepseek-v4-flash": "deepseek/deepseek-v4-flash", "gpt-5.5": "gpt-5.5",
            f"together/{model}": f"together_ai/{model}", f"bedrock/{claude}": key}


async def test_offerings_go_out_under_litellms_keys_and_provider_spellings(session):
    expected = await _offerings(session)
    exported = litellm_map(await load_snapshot(session), AT, None)
    for offering, key in expected.items():
        assert key in exported, (offering, key)
    assert exported[expected["deepseek-v4-flash"]]["litellm_provider"] == "deepseek"
    assert exported["gpt-5.5"]["litellm_provider"] == "openai"
    together = next(key for key in expected.values() if key.startswith("together_ai/"))
    assert exported[together]["litellm_provider"] == "together_ai"
    bedrock = next(key for key in expected.values() if key.startswith("bedrock/"))
    assert exported[bedrock]["litellm_provider"] == "bedrock"


async def test_litellm_prices_each_exported_key_as_our_estimates_do(session):
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch its map from the network
    import litellm

    logging.getLogger("LiteLLM").setLevel(logging.CRITICAL)
    expected = await _offerings(session)
    snapshot = await load_snapshot(session)
    exported = litellm_map(snapshot, AT, None)
    for key in expected.values():
        # LiteLLM merges a registered entry into its bundled one, which it may keep under the name without the
        # provider prefix; ours must price alone, as a map of ours would.
        litellm.model_cost.pop(key, None)
        litellm.model_cost.pop(key.partition("/")[2], None)
    # LiteLLM reads the feed as JSON, numbers as floats: register exactly what it would read.
    litellm.register_model(json.loads(encode({key: exported[key] for key in expected.values()})))
    for offering, key in expected.items():
        usage = {"input_tokens": 120_000, "output_tokens": 3_000, "cached_input_tokens": 20_000}
        ours = estimate_one(snapshot, estimate_schemas.EstimateRequest(
            model=offering, at=AT.isoformat(), **usage)).body.cost.total
        prompt, completion = litellm.cost_per_token(
            model=key, prompt_tokens=usage["input_tokens"], completion_tokens=usage["output_tokens"],
            cache_read_input_tokens=usage["cached_input_tokens"])
        theirs = Decimal(repr(prompt)) + Decimal(repr(completion))
        # LiteLLM multiplies and adds floats: equal to ours within a float's rounding, never more.
        assert abs(theirs - Decimal(ours)) <= Decimal("1e-12") * max(1, Decimal(ours)), (offering, key, ours, theirs)
