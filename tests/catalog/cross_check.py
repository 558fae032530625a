"""Pricing the same requests three ways: through our estimate path, LiteLLM's `cost_per_token` and genai-prices'
`calc_price`, for the cross-check test (test_cross_check.py) and its rules (cross_check_rules.py).

Every comparison is one imported offering, one usage and one instant. Our side is the service's own estimate
(`estimate_one` on the snapshot loaded from the database the import wrote). LiteLLM answers floats: each is read
as its shortest round-trip decimal, `Decimal(repr(x))`, and the two halves are added exactly; it then agrees when
it equals ours to 12 significant digits (its float arithmetic is good to about 15, and no price difference is
smaller than a part in 10^9). genai-prices answers exact Decimals: it agrees only when equal.
"""

from __future__ import annotations

import logging
import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from service.catalog.importing.entries import ImportedModel
from service.estimates.compute import estimate_one
from service.estimates.schemas import EstimateRequest
from service.snapshot.catalog_snapshot import CatalogSnapshot

# LiteLLM reaches for the network at import to refresh its map unless told to use the one it ships.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


class Tokens(NamedTuple):
    input: int  # cache reads included, cache writes not, as in our API (the sources' prompt counts both)
    output: int
    cached: int
    # Each usage is one request, as both calculators price one call (genai-prices charges one request always).
    requests: int = 1
    audio_input: int = 0  # parts of `input` (not cache hits), `output` and `cache_write`, as in our API
    audio_output: int = 0
    image_input: int = 0
    image_output: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0


# Sizes chosen to exercise context tiers: 200,000 prompt tokens sit exactly on the most common tier bound (strictly
# above it or not: ≥ against >), and above the 32k, 100k and 128k ones; 300,000 is above every bound up to 272k
# and reads a third of the prompt from cache, so tier cache prices and missing cache prices both show.
USAGES = {
    "input": Tokens(200_000, 0, 0),
    "output": Tokens(0, 100_000, 0),
    "cached": Tokens(300_000, 20_000, 100_000),
}
# The import's instant, and two instants to price at: a weekday hour at peak for every off-peak table of either
# source (Friday 03:00 UTC), and a Saturday evening that is off-peak for all of them. Both come after the import:
# a stored model's changed price starts at the time of the write (writes only change the future), so the instants
# are the next Friday and Saturday after today rather than fixed dates.
IMPORTED_AT = datetime.now(UTC)
_FRIDAY = datetime.combine(IMPORTED_AT.date(), time(3), UTC) + timedelta(days=(4 - IMPORTED_AT.weekday()) % 7 or 7)
INSTANTS = {
    "peak": _FRIDAY,
    "off-peak": _FRIDAY + timedelta(days=1, hours=17),
}
_SIGNIFICANT = Decimal("1e-12")
# The usage for the prices beyond the four token prices, priced on each offering whose imported price holds one of
# them: each kind of token the price holds is used (audio and image tokens, one-hour cache writes beside
# five-minute ones), the others not, so the usage tests what is held.
MORE = "more"
_MORE_BASE = Tokens(300_000, 20_000, 100_000)
_MORE_PARTS = {  # by MORE_PRICES' index: the tokens that use that price
    1: {"audio_input": 40_000}, 2: {"audio_output": 5_000}, 3: {"image_input": 20_000}, 4: {"image_output": 2_000},
    5: {"cache_write": 30_000, "cache_write_1h": 10_000},
}


def usages_of(model: ImportedModel) -> dict[str, Tokens]:
    """The three usages, and MORE where the offering's price holds a price beyond the four token prices."""
    held = [index for index, price in enumerate(model.prices[0].more) if price is not None]
    if not held:
        return USAGES
    parts = {name: count for index in held for name, count in _MORE_PARTS.get(index, {}).items()}
    return {**USAGES, MORE: _MORE_BASE._replace(**parts)}


@dataclass(slots=True)
class Comparison:
    source: str  # "litellm" or "genai-prices"
    model: ImportedModel
    usage: str
    tokens: Tokens
    instant: str
    ours: Decimal
    theirs: Decimal | None  # None: the source's calculator raised (`error` says what)
    error: str = ""
    priced_as: str = ""  # genai-prices: the provider/model its matcher priced, when not the entry itself

    def line(self) -> str:
        theirs = self.error if self.theirs is None else str(self.theirs)
        return f"{self.model.source_key} ({self.model.id}) {self.usage} at {self.instant}: ours {self.ours}, " \
               f"theirs {theirs}{f' as {self.priced_as}' if self.priced_as else ''}"


def ours(snapshot: CatalogSnapshot, model: ImportedModel, tokens: Tokens, instant: datetime) -> Decimal:
    when = instant.isoformat()
    request = EstimateRequest(
        model=model.id, input_tokens=tokens.input, output_tokens=tokens.output, cached_input_tokens=tokens.cached,
        cache_write_tokens=tokens.cache_write, requests=tokens.requests, audio_input_tokens=tokens.audio_input,
        audio_output_tokens=tokens.audio_output, image_input_tokens=tokens.image_input,
        image_output_tokens=tokens.image_output, cache_write_1h_tokens=tokens.cache_write_1h, at=when,
        requested_at=when)
    return estimate_one(snapshot, request).result.total


def litellm_agrees(ours: Decimal, theirs: Decimal) -> bool:
    return abs(ours - theirs) <= _SIGNIFICANT * abs(ours)


def quiet_litellm() -> Any:
    """LiteLLM, imported with its own map and without its console chatter (it logs every key it cannot price)."""
    import litellm  # seconds to import: only here, for the test that uses it

    litellm.suppress_debug_info = True
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(name).disabled = True
    return litellm


Theirs = Callable[[ImportedModel, Tokens, datetime], tuple[Decimal, str]]


def litellm_calculator(entries: dict[str, Any]) -> Theirs:
    """LiteLLM's price of an entry's key, named with the entry's own `litellm_provider`, as a caller names it (a
    bare key such as `deepseek-chat` is refused without it)."""
    litellm = quiet_litellm()
    # LiteLLM reads off-peak hours from its billing clock; its own pinned_billing_time sets that clock to the
    # instant, as LiteLLM's proxy does to price a request at one moment. Inside the test's event loop LiteLLM also
    # refuses GitHub Copilot's interactive login at once instead of trying the network.
    from litellm._internal_context import pinned_billing_time

    def cost(model: ImportedModel, tokens: Tokens, instant: datetime) -> tuple[Decimal, str]:
        # LiteLLM's prompt_tokens counts cache writes too; audio, image and one-hour write tokens are its details.
        usage = None if tokens._replace(requests=1) == Tokens(*tokens[:3]) else _litellm_usage(tokens)
        with pinned_billing_time(instant):
            prompt, completion = litellm.cost_per_token(
                model=model.source_key, custom_llm_provider=entries[model.source_key]["litellm_provider"],
                prompt_tokens=tokens.input, completion_tokens=tokens.output, cache_read_input_tokens=tokens.cached,
                usage_object=usage)
        return Decimal(repr(prompt)) + Decimal(repr(completion)), model.source_key

    return cost


def _litellm_usage(tokens: Tokens) -> Any:
    from litellm.types.utils import (
        CacheCreationTokenDetails,
        CompletionTokensDetailsWrapper,
        PromptTokensDetailsWrapper,
        Usage,
    )

    writes = CacheCreationTokenDetails(ephemeral_5m_input_tokens=tokens.cache_write - tokens.cache_write_1h,
                                       ephemeral_1h_input_tokens=tokens.cache_write_1h)
    return Usage(
        prompt_tokens=tokens.input + tokens.cache_write, completion_tokens=tokens.output,
        prompt_tokens_details=PromptTokensDetailsWrapper(
            cached_tokens=tokens.cached, audio_tokens=tokens.audio_input, image_tokens=tokens.image_input,
            cache_creation_tokens=tokens.cache_write, cache_creation_token_details=writes),
        completion_tokens_details=CompletionTokensDetailsWrapper(audio_tokens=tokens.audio_output,
                                                                 image_tokens=tokens.image_output),
        cache_read_input_tokens=tokens.cached, cache_creation_input_tokens=tokens.cache_write)


BY_ITS_ENTRY = "its own entry"  # genai-prices priced the entry object itself: calc_price cannot find it by its id


def genai_cost(model: ImportedModel, tokens: Tokens, instant: datetime) -> tuple[Decimal, str]:
    """genai-prices' price of the entry by its own id, and the provider/model its matcher priced.

    Where calc_price cannot find the entry by its id, the entry's own ModelInfo.calc_price prices it (the same
    calculator, without the lookup), so the offering is still compared; the answer then says BY_ITS_ENTRY."""
    from genai_prices import Usage, calc_price
    from genai_prices.data import providers

    provider_id, _, model_id = model.source_key.partition("/")
    # genai-prices' input_tokens counts cache writes too; it charges one request whatever the usage says.
    usage = Usage(input_tokens=tokens.input + tokens.cache_write, output_tokens=tokens.output,
                  cache_read_tokens=tokens.cached or None, cache_write_tokens=tokens.cache_write or None,
                  cache_write_1h_tokens=tokens.cache_write_1h or None, input_audio_tokens=tokens.audio_input or None,
                  output_audio_tokens=tokens.audio_output or None, input_image_tokens=tokens.image_input or None,
                  output_image_tokens=tokens.image_output or None,
                  # our cache hits are whatever they hold: none of them is said to be audio or an image
                  cache_audio_read_tokens=0 if tokens.audio_input and tokens.cached else None,
                  cache_image_read_tokens=0 if tokens.image_input and tokens.cached else None)
    try:
        result = calc_price(usage, model_id, provider_id=provider_id, genai_request_timestamp=instant)
    except LookupError:
        provider = next(provider for provider in providers if provider.id == provider_id)
        entry = next(entry for entry in provider.models if entry.id == model_id)
        return entry.calc_price(usage, provider, genai_request_timestamp=instant).total_price, BY_ITS_ENTRY
    return result.total_price, f"{result.provider.id}/{result.model.id}"


def compare(source: str, snapshot: CatalogSnapshot, models: list[ImportedModel],
            entries: dict[str, Any]) -> tuple[list[Comparison], int]:
    """Every comparison where the source's calculator disagrees with ours, prices another entry or cannot price
    the entry, and how many comparisons were made. `entries`: the source's entries by key."""
    theirs_of = litellm_calculator(entries) if source == "litellm" else genai_cost
    agree = litellm_agrees if source == "litellm" else operator.eq
    found, made = [], 0
    for model in models:
        for usage, tokens in usages_of(model).items():
            for instant_name, instant in INSTANTS.items():
                mine, made = ours(snapshot, model, tokens, instant), made + 1
                try:
                    theirs, priced = theirs_of(model, tokens, instant)
                except Exception as exc:  # whatever the calculator raises is recorded, and must be explained
                    found.append(Comparison(source, model, usage, tokens, instant_name, mine, None,
                                            type(exc).__name__))
                    continue
                if not agree(mine, theirs) or priced != model.source_key:
                    priced_as = "" if priced == model.source_key else priced
                    found.append(Comparison(source, model, usage, tokens, instant_name, mine, theirs,
                                            priced_as=priced_as))
    return found, made
