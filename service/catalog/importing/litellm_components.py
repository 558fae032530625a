"""Which keys of a LiteLLM entry are prices (components), and why each one we do not hold is left out.

A key is a component unless it describes the model rather than pricing it (`mode`, `supports_vision`, ...):
the lists below are those. Nested prices are components one by one: `tiered_pricing[1].input_cost_per_token`,
`off_peak_pricing.output_cost_per_token`, `search_context_cost_per_query.search_context_size_low`. A component no
rule of ours holds is named with the first reason below that matches its key; a key that none matches is named
as unknown (accounting.UNKNOWN), and the tests on the full file fail until it is classified here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

DESCRIPTIVE = frozenset({
    "litellm_provider", "mode", "source", "metadata", "comment", "alias_of", "successor_model", "rules",
    "default_reasoning_effort", "output_vector_size", "prompt_cache_min_tokens", "rpm", "tpm",
    "provider_specific_entry", "use_openai_responses_path", "uses_embed_content", "audio_transcription_config",
    "web_search_billing_unit", "search_free_requests", "gemini_audio_only_live", "gemini_native_audio",
    "vertex_ai_audio_api",
})
DESCRIPTIVE_PREFIXES = ("supports_", "supported_", "max_", "token_count_", "deprecation_", "bedrock_",
                        "reasoning_", "thinking_")
# Inside nested blocks: the keys that say when or for whom a price applies, not how much.
NESTED_SHAPE = frozenset({"range", "max_results_range", "hours_utc", "windows", "weekday_timezone"})

_LEFT_OUT = [(re.compile(pattern), reason) for pattern, reason in (
    (r"_above_1hr", "one-hour cache writes above a context tier or for a batch, flex or priority request are not "
                    "held"),
    (r"_above_12hr", "12-hour cache writes are not held yet"),
    (r"audio", "audio prices other than per input and output token (cached audio, cache writes, per second, above a "
               "tier, for a batch, flex or priority request) are not held"),
    (r"image", "image prices other than per input and output token (per image, cached, for a batch, flex or "
               "priority request) are not held"),
    (r"video", "video prices are not held yet"),
    (r"_(ultrafast|decisions|balanced)($|_)", "service tiers other than batch, flex and priority are not held"),
    (r"reasoning_token", "a separate price for reasoning tokens is not held"),
    (r"search_context|grounding|search_cost|file_search", "search and grounding fees are not held yet"),
    (r"per_request|per_query|per_text_message|per_session|per_1k_calls|per_unit",
     "fees per query, message, session, call or unit are not held"),
    (r"per_second", "prices per second are not held"),
    (r"per_character", "prices per character are not held"),
    (r"per_pixel", "prices per pixel are not held"),
    (r"per_page|per_credit", "prices per page are not held"),
    (r"dbu_cost", "Databricks DBU prices are not held"),
    (r"uplift_multiplier", "regional and FedRAMP uplifts are not held"),
    (r"citation", "citation token prices are not held"),
    (r"computer_use", "computer-use token prices are not held"),
    (r"per_gb", "storage prices are not held"),
    (r"explicit_cache_read", "a second, explicit cache read price is not held"),
    (r"input_cost_per_token_cache_hit", "a second spelling of the cache read price that differs from it"),
    (r"_above_[0-9]+k?_tokens", "a tier price without its standard key is not held"),
)]


def descriptive(key: str) -> bool:
    return key in DESCRIPTIVE or key.startswith(DESCRIPTIVE_PREFIXES)


def components(entry: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every price the entry states, by its component name: top-level keys and each price of a nested block."""
    for key, value in entry.items():
        if value is None or descriptive(key):
            continue
        if isinstance(value, dict):
            yield from ((f"{key}.{inner}", price) for inner, price in value.items()
                        if price is not None and inner not in NESTED_SHAPE)
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            for index, item in enumerate(value):
                yield from ((f"{key}[{index}].{inner}", price) for inner, price in item.items()
                            if price is not None and inner not in NESTED_SHAPE)
        else:
            yield key, value


def reason_for(component: str) -> str | None:
    """Why a component no rule holds is left out; None for a key nobody has classified."""
    key = component.rpartition(".")[2] if "." in component else component
    for pattern, reason in _LEFT_OUT:
        if pattern.search(key) or pattern.search(component):
            return reason
    return None
