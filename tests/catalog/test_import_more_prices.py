"""Real entries of the pinned packages that state a fee per request, audio, image or one-hour cache write prices:
held exactly where our rules charge them as the source does, named with the reason where not, into the database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from service.catalog.importing.entries import Parsed
from service.catalog.importing.genai_prices import parse_genai_prices
from service.catalog.importing.importer import apply_import
from service.catalog.importing.litellm import parse_litellm
from service.catalog.importing.litellm_keys import MORE_KEYS
from service.catalog.importing.package_data import genai_prices_data, litellm_cost_map
from service.db.models import PriceRow
from service.pricing.prices import MORE_PRICES

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def litellm() -> Parsed:
    return parse_litellm(litellm_cost_map())


@pytest.fixture(scope="module")
def genai() -> Parsed:
    return parse_genai_prices(genai_prices_data(), NOW)


def _more(parsed: Parsed, key: str) -> dict[str, Decimal]:
    model = next(model for model in parsed.models if model.source_key == key)
    return model.prices[0].more_by_name()


def _lines(parsed: Parsed, key: str) -> list[str]:
    return [line for line in parsed.skipped if line.startswith(f"{key}: ")]


@pytest.mark.parametrize(("key", "held"), [
    # OpenAI's realtime model: audio in and out, image in (litellm 1.110.2)
    ("gpt-realtime", {"audio_input_per_mtok": Decimal(32), "audio_output_per_mtok": Decimal(64),
                      "image_input_per_mtok": Decimal(5)}),
    ("gpt-4o-audio-preview-2024-12-17", {"audio_input_per_mtok": Decimal(40), "audio_output_per_mtok": Decimal(80)}),
    # input_cost_per_request is USD per request: held as it is, never scaled per token
    ("perplexity/sonar-small-online", {"per_request": Decimal("0.005")}),
    ("azure_ai/claude-haiku-4-5", {"cache_write_1h_per_mtok": Decimal(2)}),
])
def test_litellm_entries_hold_their_fees_audio_image_and_one_hour_prices(litellm, key, held):
    assert _more(litellm, key) == held
    named = {line.split(": ", 1)[1].split(" left out")[0] for line in _lines(litellm, key)}
    assert not named & set(MORE_KEYS)  # every stated key of these is held, none named


def test_litellm_audio_beside_variants_is_named_not_multiplied(litellm):
    # gemini-2.5-flash has batch, flex and priority rates; LiteLLM charges its audio unchanged for them
    assert _more(litellm, "gemini/gemini-2.5-flash") == {}
    assert "gemini/gemini-2.5-flash: input_cost_per_audio_token left out: LiteLLM charges it unchanged for batch, " \
           "flex, priority and off-peak requests, where our rules would multiply it: not held beside them" \
           in _lines(litellm, "gemini/gemini-2.5-flash")


@pytest.mark.parametrize(("key", "held"), [
    ("openai/gpt-realtime", {"audio_input_per_mtok": Decimal(32), "audio_output_per_mtok": Decimal(64),
                             "image_input_per_mtok": Decimal(5)}),
    # 12 USD per thousand requests: 0.012 a request
    ("perplexity/sonar", {"per_request": Decimal("0.012")}),
    ("anthropic/claude-opus-4-1", {"cache_write_1h_per_mtok": Decimal(30)}),
])
def test_genai_prices_entries_hold_their_fees_audio_image_and_one_hour_prices(genai, key, held):
    assert _more(genai, key) == held
    assert not any(kind in line for line in _lines(genai, key)
                   for kind in ("input_audio_mtok ", "requests_kcount ", "prices.cache_write_1h_mtok "))


def test_genai_prices_tiered_one_hour_writes_are_named(genai):
    assert _more(genai, "anthropic/claude-sonnet-4-5") == {}
    assert "anthropic/claude-sonnet-4-5: prices.cache_write_1h_mtok left out: genai-prices charges another price " \
           "above a context tier, which our tiers do not hold" in _lines(genai, "anthropic/claude-sonnet-4-5")


def test_the_books_still_add_up(litellm, genai):
    assert litellm.books.balanced and genai.books.balanced


async def test_imported_prices_reach_the_database_and_a_reimport_changes_nothing(session, genai):
    subset = Parsed([model for model in genai.models
                     if model.source_key in ("openai/gpt-realtime", "perplexity/sonar", "anthropic/claude-opus-4-1")],
                    genai.books, key_format=genai.key_format)
    await apply_import(session, subset, "import:test", NOW)
    rows = (await session.scalars(select(PriceRow).where(PriceRow.model_id.in_(
        ["gpt-realtime", "sonar", "claude-opus-4-1"])))).all()
    stored = {row.model_id: {name: getattr(row, name) for name in MORE_PRICES if getattr(row, name) is not None}
              for row in rows}
    assert stored["gpt-realtime"] == {"audio_input_per_mtok": 32, "audio_output_per_mtok": 64,
                                      "image_input_per_mtok": 5}
    assert stored["claude-opus-4-1"] == {"cache_write_1h_per_mtok": 30}
    assert stored["sonar"] == {"per_request": Decimal("0.012")}
    again = await apply_import(session, subset, "import:test", NOW)
    assert again.prices_added == 0 and again.refused == []
