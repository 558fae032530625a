"""The fee per request, audio, image and one-hour cache write prices in the feeds, and LiteLLM pricing them as ours."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from datetime import UTC, datetime
from decimal import Decimal

from service.catalog import price_queries, queries, schemas
from service.estimates import schemas as estimate_schemas
from service.estimates.compute import estimate_one
from service.feeds.litellm import encode, litellm_map
from service.feeds.price_feed import as_csv, price_feed
from service.snapshot.catalog_snapshot import load_snapshot
from tests.factories import make_model, unique_slug

JAN = datetime(2026, 1, 1, tzinfo=UTC)
AT = datetime(2026, 5, 10, tzinfo=UTC)
MORE = {"per_request": "0.005", "audio_input_per_mtok": "40", "audio_output_per_mtok": "80",
        "image_input_per_mtok": "5", "image_output_per_mtok": "30", "cache_write_1h_per_mtok": "6"}


async def _model(session) -> str:
    """An OpenAI model (LiteLLM knows OpenAI's models by their bare ids) with every price beyond the four."""
    if await session.get(queries.ProviderRow, "openai") is None:
        await queries.create_provider(session, schemas.ProviderCreate(id="openai", name="OpenAI"))
    model_id = unique_slug("gpt-audio-test")
    await make_model(session, model_id, provider="openai")
    await price_queries.add_price(session, model_id, schemas.PricePeriodCreate(
        valid_from=JAN, input_per_mtok=Decimal("2.5"), output_per_mtok=Decimal(10),
        cache_read_per_mtok=Decimal("1.25"), cache_write_per_mtok=Decimal("3.75"), source="test",
        **{name: Decimal(value) for name, value in MORE.items()}))
    return model_id


async def test_the_litellm_feed_carries_the_new_prices_under_litellms_keys(session):
    model_id = await _model(session)
    entry = litellm_map(await load_snapshot(session), AT, None)[model_id]
    assert {key: entry[key] for key in entry if "audio" in key or "image" in key or "1hr" in key or "request" in key} \
        == {"input_cost_per_request": Decimal("0.005"), "input_cost_per_audio_token": Decimal("0.00004"),
            "output_cost_per_audio_token": Decimal("0.00008"), "input_cost_per_image_token": Decimal("0.000005"),
            "output_cost_per_image_token": Decimal("0.00003"),
            "cache_creation_input_token_cost_above_1hr": Decimal("0.000006")}


async def test_the_price_feed_carries_the_new_prices_in_json_and_in_csv_columns_after_the_old_ones(session):
    model_id = await _model(session)
    feed = price_feed(await load_snapshot(session), AT, AT)
    row = next(row for row in feed.data if row.model == model_id)
    assert {name: getattr(row.list, name) for name in MORE} == MORE
    lines = list(csv.DictReader(io.StringIO(as_csv(feed).decode())))
    line = next(line for line in lines if line["model"] == model_id)
    assert {name: line[name] for name in MORE} == MORE
    assert {name: line[f"effective_{name}"] for name in MORE} == MORE
    other = next(line for line in lines if line["model"] != model_id)
    assert all(other[name] == "" for name in MORE)  # unknown: an empty cell, never 0


async def test_litellm_prices_audio_image_and_one_hour_writes_of_the_feed_as_our_estimates_do(session):
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch its map from the network
    import litellm
    from litellm.types.utils import (
        CacheCreationTokenDetails,
        CompletionTokensDetailsWrapper,
        PromptTokensDetailsWrapper,
        Usage,
    )

    logging.getLogger("LiteLLM").setLevel(logging.CRITICAL)
    model_id = await _model(session)
    snapshot = await load_snapshot(session)
    key = f"ourfeed/{model_id}"
    litellm.register_model(json.loads(encode({key: litellm_map(snapshot, AT, "ourfeed")[key]})))
    body = estimate_one(snapshot, estimate_schemas.EstimateRequest(
        model=model_id, at=AT.isoformat(), input_tokens=100_000, output_tokens=10_000, cached_input_tokens=20_000,
        cache_write_tokens=8_000, audio_input_tokens=10_000, audio_output_tokens=2_000, image_input_tokens=4_000,
        image_output_tokens=1_000, cache_write_1h_tokens=5_000)).body
    usage = Usage(
        prompt_tokens=108_000, completion_tokens=10_000, cache_read_input_tokens=20_000,
        cache_creation_input_tokens=8_000,
        prompt_tokens_details=PromptTokensDetailsWrapper(
            cached_tokens=20_000, audio_tokens=10_000, image_tokens=4_000, cache_creation_tokens=8_000,
            cache_creation_token_details=CacheCreationTokenDetails(ephemeral_5m_input_tokens=3_000,
                                                                   ephemeral_1h_input_tokens=5_000)),
        completion_tokens_details=CompletionTokensDetailsWrapper(audio_tokens=2_000, image_tokens=1_000))
    prompt, completion = litellm.cost_per_token(model=key, custom_llm_provider="openai", usage_object=usage)
    theirs = Decimal(repr(prompt)) + Decimal(repr(completion))
    # the request fee aside (LiteLLM's cost_per_token charges none; ours, for no `requests`, none either)
    assert body.cost.total == "0.91125"
    assert abs(theirs - Decimal(body.cost.total)) <= Decimal("1e-12"), theirs
